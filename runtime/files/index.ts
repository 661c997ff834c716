import type { Sql } from '../../db/index.ts';
import { createFileStore, type FileStore } from './file-store.ts';
import type { FilesConfig } from './files-config.ts';
import { createPostgresBlobs } from './postgres-blobs.ts';
import { createS3Blobs } from './s3-blobs.ts';

export type { BlobStore } from './blob-store.ts';
export { CHUNK_BYTES } from './chunks.ts';
export { createFileStore, type FileStore, type StagedFiles, type TransactionFiles } from './file-store.ts';
export {
  DEFAULT_CODE_FILE_MAX_BYTES,
  DEFAULT_FILE_MAX_BYTES,
  DEFAULT_RUN_FILES_MAX_BYTES,
  DEFAULT_UPLOAD_MAX_BYTES,
  type FilesConfig,
  parseFilesConfig,
} from './files-config.ts';
export { findFileRefs } from './find-file-refs.ts';
export { sniffContentType } from './sniff.ts';

/** The file store the configuration asks for: an S3 bucket when one is set, else Postgres. */
export function createConfiguredFileStore(sql: Sql, config: FilesConfig): FileStore {
  return createFileStore({
    sql,
    config,
    blobs: config.s3 ? createS3Blobs(config.s3) : createPostgresBlobs(sql),
  });
}
