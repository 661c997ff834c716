import type { Command } from 'commander';
import {
  type ApiToken,
  createToken,
  listTokens,
  parseDuration,
  requireUser,
  revokeToken,
  tokenView,
} from '../../access/index.ts';
import { asLocalOwner, table } from './access-cli.ts';

/** `vmesh tokens list --json`: the API's view, with the user by name. */
function tokenJson(token: ApiToken) {
  return { ...tokenView(token), user: token.userName };
}

function stateOf(token: ApiToken): string {
  if (token.revokedAt) return 'revoked';
  if (token.expiresAt && token.expiresAt.getTime() <= Date.now()) return 'expired';
  return 'active';
}

/** `vmesh tokens create|list|revoke`: per-user API tokens (the secret is printed once, at creation). */
export function registerTokensCommand(program: Command): void {
  const tokens = program
    .command('tokens')
    .description('Mint, list and revoke per-user API tokens (Authorization: Bearer vmt_…).');

  tokens
    .command('create')
    .description('Mint a token for a user; prints it once on stdout (only its hash is stored).')
    .requiredOption('--user <name>', 'whose token (user name or id)')
    .requiredOption('--name <label>', 'what the token is for, e.g. ci')
    .option('--scope <permissions>', 'comma-separated permissions to limit it to (default: all of the role)')
    .option('--expires-in <duration>', 'lifetime, e.g. 90m, 12h, 30d (default: until revoked)')
    .option('--may-approve', 'let it approve proposals without a human confirming (e.g. an MCP agent)')
    .action(
      async (options: {
        user: string;
        name: string;
        scope?: string;
        expiresIn?: string;
        mayApprove?: boolean;
      }) => {
        await asLocalOwner(async (sql, owner) => {
          const user = await requireUser(sql, options.user);
          const scopes = options.scope
            ?.split(',')
            .map((scope) => scope.trim())
            .filter(Boolean);
          const expiresAt =
            options.expiresIn === undefined
              ? undefined
              : new Date(Date.now() + parseDuration(options.expiresIn));
          const { token, info } = await createToken(sql, owner, {
            userId: user.id,
            name: options.name,
            scopes,
            expiresAt,
            mayApprove: options.mayApprove,
          });
          process.stderr.write(
            `Token ${info.id} for ${info.userName}${info.expiresAt ? `, expires ${info.expiresAt.toISOString()}` : ''}. ` +
              'It is shown once: store it now.\n',
          );
          process.stdout.write(`${token}\n`);
        });
      },
    );

  tokens
    .command('list')
    .description('List tokens (never their secrets).')
    .option('--user <name>', "only this user's tokens")
    .option(
      '--json',
      'print JSON: [{ id, user, name, scopes, mayApprove, createdAt, expiresAt, lastUsedAt, revokedAt }]',
    )
    .action(async (options: { user?: string; json?: boolean }) => {
      await asLocalOwner(async (sql) => {
        const user = options.user === undefined ? undefined : await requireUser(sql, options.user);
        const rows = await listTokens(sql, { userId: user?.id });
        if (options.json) {
          process.stdout.write(`${JSON.stringify(rows.map(tokenJson), null, 2)}\n`);
          return;
        }
        if (rows.length === 0) {
          process.stdout.write('No tokens. Mint one with `vmesh tokens create --user NAME --name LABEL`.\n');
          return;
        }
        process.stdout.write(
          table(
            ['ID', 'USER', 'NAME', 'STATE', 'SCOPES', 'LAST USED'],
            rows.map((token) => [
              token.id,
              token.userName,
              token.name,
              stateOf(token),
              token.scopes ? token.scopes.join(',') : '(role)',
              token.lastUsedAt?.toISOString() ?? '-',
            ]),
          ),
        );
      });
    });

  tokens
    .command('revoke')
    .description('Revoke token ID: it stops working at once.')
    .argument('<id>', 'token id (tok_…)')
    .action(async (id: string) => {
      await asLocalOwner(async (sql, owner) => {
        const token = await revokeToken(sql, owner, id);
        process.stdout.write(`Revoked ${token.id} (${token.userName}, ${token.name}).\n`);
      });
    });
}
