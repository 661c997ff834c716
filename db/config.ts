import { resolve } from 'node:path';
import { z } from 'zod';

const DatabaseEnv = z.object({
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'DATABASE_URL must start with postgres:// or postgresql://')
    .optional(),
  VMESH_DATA_DIR: z.string().min(1).optional(),
  VMESH_DB_POOL_SIZE: z.coerce.number().int().min(1).max(200).optional(),
});

export type DatabaseConfig = {
  /** An external server; when absent the embedded PostgreSQL is started. */
  databaseUrl: string | undefined;
  dataDir: string;
  poolSize: number;
};

export function parseDatabaseConfig(env: NodeJS.ProcessEnv = process.env): DatabaseConfig {
  const parsed = DatabaseEnv.safeParse(env);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ');
    throw new Error(`Invalid database configuration: ${issues}`);
  }
  return {
    databaseUrl: parsed.data.DATABASE_URL,
    dataDir: resolve(parsed.data.VMESH_DATA_DIR ?? '.data'),
    poolSize: parsed.data.VMESH_DB_POOL_SIZE ?? 10,
  };
}
