import type { Command } from 'commander';
import { ensureLocalOwner, findUser } from '../../access/index.ts';
import { openDatabase, parseDatabaseConfig } from '../../db/index.ts';

/**
 * `vmesh login-link NAME [--ttl 15m]`: prints a one-time URL that signs NAME in on the web page (for people
 * without OIDC, and for the local owner of a server that has a token). Only the token's hash is stored.
 */
export function registerLoginLinkCommand(program: Command): void {
  program
    .command('login-link')
    .description('Print a one-time sign-in link for the web page (single use, short-lived).')
    .argument('<name>', 'the user (name or id) the link signs in')
    .option('--ttl <duration>', 'how long the link works: 30s, 15m, 2h (at most 24h)', '15m')
    .action(async (name: string, options: { ttl: string }) => {
      const { createLoginLink, MAX_LINK_TTL_MS, parseDuration, parseServerConfig } = await import(
        '../../app/index.ts'
      );
      const ttlMs = parseDuration(options.ttl);
      if (ttlMs === undefined || ttlMs > MAX_LINK_TTL_MS) {
        process.stderr.write(
          `vmesh: --ttl is a duration such as 15m or 2h, at most 24h (got "${options.ttl}").\n`,
        );
        process.exit(2);
      }
      let exitCode = 1;
      const database = await openDatabase(parseDatabaseConfig());
      try {
        const publicUrl = parseServerConfig().publicUrl;
        // The local owner exists once any server or command made it; `vmesh login-link owner` works before that too.
        await ensureLocalOwner(database.sql, 'cli');
        const user = await findUser(database.sql, name);
        if (!user) {
          process.stderr.write(`vmesh: no user "${name}". List them with \`vmesh users list\`.\n`);
        } else if (user.disabledAt) {
          process.stderr.write(`vmesh: ${user.name} is disabled; enable them first.\n`);
        } else {
          const link = await createLoginLink(database.sql, user.id, ttlMs);
          process.stdout.write(`${new URL(`/auth/link/${link.token}`, publicUrl).toString()}\n`);
          process.stderr.write(
            `Signs in ${user.name} once, until ${link.expiresAt.toISOString()}. Treat it like a password.\n`,
          );
          exitCode = 0;
        }
      } catch (error) {
        process.stderr.write(`vmesh: ${error instanceof Error ? error.message : String(error)}\n`);
      } finally {
        await database.close();
      }
      process.exit(exitCode);
    });
}
