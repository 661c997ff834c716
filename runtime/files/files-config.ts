import { z } from 'zod';

export const DEFAULT_FILE_MAX_BYTES = 100 * 1024 * 1024;
export const DEFAULT_RUN_FILES_MAX_BYTES = 500 * 1024 * 1024;
/** Largest multipart request a hook or form takes (streamed to a temporary folder, then into the store). */
export const DEFAULT_UPLOAD_MAX_BYTES = 256 * 1024 * 1024;
/** What one core.code step may read, and separately write, through its `files` API. */
export const DEFAULT_CODE_FILE_MAX_BYTES = 10 * 1024 * 1024;

const Flag = z
  .enum(['true', 'false', '1', '0'])
  .transform((value) => value === 'true' || value === '1')
  .optional();

const FilesEnv = z.object({
  VMESH_FILE_MAX_BYTES: z.coerce.number().int().min(1).default(DEFAULT_FILE_MAX_BYTES),
  VMESH_RUN_FILES_MAX_BYTES: z.coerce.number().int().min(1).default(DEFAULT_RUN_FILES_MAX_BYTES),
  VMESH_UPLOAD_MAX_BYTES: z.coerce.number().int().min(1).default(DEFAULT_UPLOAD_MAX_BYTES),
  VMESH_CODE_FILE_MAX_BYTES: z.coerce.number().int().min(1).default(DEFAULT_CODE_FILE_MAX_BYTES),
  VMESH_FILES_S3_BUCKET: z.string().min(1).optional(),
  VMESH_FILES_S3_ENDPOINT: z.url().optional(),
  VMESH_FILES_S3_REGION: z.string().min(1).default('us-east-1'),
  VMESH_FILES_S3_ACCESS_KEY_ID: z.string().min(1).optional(),
  VMESH_FILES_S3_SECRET_ACCESS_KEY: z.string().min(1).optional(),
  VMESH_FILES_S3_FORCE_PATH_STYLE: Flag,
});

export type S3FilesConfig = {
  bucket: string;
  endpoint?: string | undefined;
  region: string;
  /** Both or neither: without them the AWS SDK's default chain (instance role, AWS_* env) applies. */
  credentials?: { accessKeyId: string; secretAccessKey: string } | undefined;
  forcePathStyle: boolean;
};

export type FilesConfig = {
  /** Largest single file (VMESH_FILE_MAX_BYTES). */
  maxFileBytes: number;
  /** Largest total of one run's files (VMESH_RUN_FILES_MAX_BYTES). */
  maxRunBytes: number;
  /** Largest multipart request to a hook or form (VMESH_UPLOAD_MAX_BYTES; default DEFAULT_UPLOAD_MAX_BYTES). */
  maxUploadBytes?: number | undefined;
  /** Most bytes one core.code step reads, and separately writes, through `files` (VMESH_CODE_FILE_MAX_BYTES). */
  maxCodeBytes?: number | undefined;
  /** Where the bytes go when VMESH_FILES_S3_BUCKET is set; Postgres otherwise. */
  s3?: S3FilesConfig | undefined;
};

/** The file store's settings from the environment; a bad value stops the start-up with the variable's name. */
export function parseFilesConfig(env: NodeJS.ProcessEnv = process.env): FilesConfig {
  const parsed = FilesEnv.safeParse(env);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ');
    throw new Error(`Invalid file store configuration: ${issues}`);
  }
  const data = parsed.data;
  const keyId = data.VMESH_FILES_S3_ACCESS_KEY_ID;
  const secret = data.VMESH_FILES_S3_SECRET_ACCESS_KEY;
  if ((keyId === undefined) !== (secret === undefined)) {
    throw new Error(
      'Invalid file store configuration: set both VMESH_FILES_S3_ACCESS_KEY_ID and VMESH_FILES_S3_SECRET_ACCESS_KEY, or neither.',
    );
  }
  return {
    maxFileBytes: data.VMESH_FILE_MAX_BYTES,
    maxRunBytes: data.VMESH_RUN_FILES_MAX_BYTES,
    maxUploadBytes: data.VMESH_UPLOAD_MAX_BYTES,
    maxCodeBytes: data.VMESH_CODE_FILE_MAX_BYTES,
    s3: data.VMESH_FILES_S3_BUCKET
      ? {
          bucket: data.VMESH_FILES_S3_BUCKET,
          endpoint: data.VMESH_FILES_S3_ENDPOINT,
          region: data.VMESH_FILES_S3_REGION,
          credentials: keyId && secret ? { accessKeyId: keyId, secretAccessKey: secret } : undefined,
          forcePathStyle: data.VMESH_FILES_S3_FORCE_PATH_STYLE ?? Boolean(data.VMESH_FILES_S3_ENDPOINT),
        }
      : undefined,
  };
}
