import type { Readable, Writable } from 'node:stream';
import type { Command } from 'commander';
import { ensureLocalOwner, type Principal } from '../../access/index.ts';
import { parseServerConfig } from '../../app/index.ts';
import {
  builtinConnectors,
  type ConnectorEnvironment,
  type CredentialStore,
  createCredentialStore,
  createSafeFetchFromEnv,
  credentialTypesOf,
  loadSecretKey,
  oauth2ProvidersOf,
  parseOAuth2Apps,
  parseSecretInput,
  type SecretKey,
} from '../../connectors/index.ts';
import { openDatabase, parseDatabaseConfig, type Sql } from '../../db/index.ts';
import { AppError, logger } from '../../lib/index.ts';
import {
  type CredentialService,
  type CredentialView,
  createConnectLinks,
  createCredentialService,
  createOAuth2Tokens,
} from '../../runtime/index.ts';
import { writeTerminal } from '../terminal-text.ts';

const MAX_SECRET_BYTES = 64 * 1024;

export type CredentialsCommandDeps = {
  /** Opens the store and returns it with a close function and the person the shell acts as (the local owner). */
  openStore(): Promise<{
    store: CredentialStore;
    sql: Sql;
    principal?: Principal | undefined;
    /** How `credentials test` reaches the vendor; without it the test only decrypts and checks the type. */
    connectorEnv?: ConnectorEnvironment | undefined;
    /** The secret key: `credentials connect` seals the link's settings with it. */
    key?: SecretKey | undefined;
    close(): Promise<void>;
  }>;
  /** VMESH_PUBLIC_URL as the server sees it (the links are under it); defaults to the server's config. */
  publicUrl?: string;
  /** Where VMESH_OAUTH_<PROVIDER>_* (the installation's OAuth apps) are read; default process.env. */
  env?: NodeJS.ProcessEnv;
  stdin: Readable & { isTTY?: boolean };
  stdout: Writable;
  stderr: Writable;
};

async function openDefaultStore() {
  const config = parseDatabaseConfig();
  const database = await openDatabase(config);
  try {
    const key = await loadSecretKey({ dataDir: config.dataDir });
    const store = createCredentialStore({
      sql: database.sql,
      key,
      types: credentialTypesOf(builtinConnectors),
    });
    const principal = await ensureLocalOwner(database.sql, 'cli');
    const connectorEnv: ConnectorEnvironment = {
      baseUrls: {},
      fetch: createSafeFetchFromEnv(process.env),
      logger,
    };
    return { store, sql: database.sql, principal, connectorEnv, key, close: () => database.close() };
  } catch (error) {
    await database.close();
    throw error;
  }
}

async function readAll(stream: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    size += buffer.byteLength;
    if (size > MAX_SECRET_BYTES) throw new Error(`The secret is larger than ${MAX_SECRET_BYTES} bytes.`);
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * `vmesh credentials set|list|show|test|rename|delete|share|unshare`. The secret is read from standard input (a JSON object, or one bare token
 * mapped to the type's main field), never from arguments, so it stays out of shell history and process lists.
 */
export function registerCredentialsCommand(
  program: Command,
  deps: CredentialsCommandDeps = {
    openStore: openDefaultStore,
    stdin: process.stdin,
    stdout: process.stdout,
    stderr: process.stderr,
  },
): void {
  const withStore = async (
    work: (store: CredentialStore, by: Principal | undefined, service: CredentialService) => Promise<void>,
  ) => {
    const { store, sql, principal, connectorEnv, close } = await deps.openStore();
    const service = createCredentialService({
      sql,
      store,
      connectors: builtinConnectors,
      ...(connectorEnv
        ? {
            env: connectorEnv,
            oauth2Tokens: createOAuth2Tokens({
              sql,
              store,
              fetch: connectorEnv.fetch,
              providers: oauth2ProvidersOf(builtinConnectors),
            }),
          }
        : {}),
    });
    try {
      await work(store, principal, service);
    } catch (error) {
      if (!(error instanceof AppError)) throw error;
      writeTerminal(deps.stderr, `vmesh: ${error.message}\n${error.hint ? `hint: ${error.hint}\n` : ''}`);
      process.exitCode = 1;
    } finally {
      await close();
    }
  };

  const credentials = program
    .command('credentials')
    .description(
      'Store, list and delete encrypted credentials (secrets never leave the database in clear text).',
    );

  credentials
    .command('set')
    .description(
      "Create or replace credential NAME. Reads the secret from stdin: a JSON object, or a bare token that becomes the type's main field (slack/github/bearer/url-token: token, discord: botToken or webhookUrl, http: bearer token). http.request and OpenAPI connectors take the auth styles api-key-header, bearer, basic, api-key-query, url-token, oauth2-client-credentials, google-service-account and aws-sigv4 (fields: the http connector's doc).",
    )
    .argument('<name>', 'credential name, referenced by a node\'s "credential"')
    .requiredOption(
      '--type <type>',
      `credential type (${credentialTypesOf(builtinConnectors)
        .map((definition) => definition.type)
        .join(', ')}, or your own)`,
    )
    .action(async (name: string, options: { type: string }) => {
      if (deps.stdin.isTTY) writeTerminal(deps.stderr, 'Paste the secret, then press Ctrl-D:\n');
      const text = await readAll(deps.stdin);
      const definition = credentialTypesOf(builtinConnectors).find(
        (candidate) => candidate.type === options.type,
      );
      await withStore(async (store, by) => {
        await store.set(name, options.type, parseSecretInput(text, definition), by);
        writeTerminal(deps.stdout, `Stored credential "${name}" (type ${options.type}).\n`);
      });
    });

  credentials
    .command('list')
    .description(
      'List credentials: name, type, owner, scope, state (connected, needs_reconnect, expired), last use and the workflows that use each (never the secrets).',
    )
    .option(
      '--json',
      'print JSON, the items of GET /api/credentials: [{ name, type, owner, scope, state, stateReason, lastUsedAt, createdAt, updatedAt, usedBy: [{ id, name, active }], usedByHidden }]',
    )
    .action(async (options: { json?: boolean }) => {
      await withStore(async (_store, by, service) => {
        const rows = await service.list(by);
        if (options.json) {
          writeTerminal(deps.stdout, `${JSON.stringify(rows, null, 2)}\n`);
          return;
        }
        if (rows.length === 0) {
          writeTerminal(
            deps.stdout,
            'No credentials. Add one with `vmesh credentials set NAME --type TYPE`.\n',
          );
          return;
        }
        writeTerminal(deps.stdout, table(rows));
      });
    });

  credentials
    .command('show')
    .description(
      'Show credential NAME: its type, owner, scope, state, last use and the workflows that use it.',
    )
    .argument('<name>', 'credential name')
    .option('--json', 'print JSON, as GET /api/credentials/NAME')
    .action(async (name: string, options: { json?: boolean }) => {
      await withStore(async (_store, by, service) => {
        const view = await service.show(name, by);
        writeTerminal(deps.stdout, options.json ? `${JSON.stringify(view, null, 2)}\n` : describe(view));
      });
    });

  credentials
    .command('test')
    .description(
      'Check credential NAME: it decrypts and fits its type (and the vendor accepts it, for types that declare a test).',
    )
    .argument('<name>', 'credential name')
    .option('--json', 'print JSON: { name, type, ok: true|false|null, message }')
    .action(async (name: string, options: { json?: boolean }) => {
      await withStore(async (_store, by, service) => {
        const result = await service.test(name, by);
        if (result.ok === false) process.exitCode = 1;
        const mark = result.ok === true ? 'ok' : result.ok === false ? 'FAILED' : 'not tested';
        writeTerminal(
          deps.stdout,
          options.json ? `${JSON.stringify(result, null, 2)}\n` : `${name}: ${mark}. ${result.message}\n`,
        );
      });
    });

  credentials
    .command('rename')
    .description(
      'Rename credential OLD to NEW. Refused while an active workflow uses OLD, unless --force (workflows are not rewritten: they keep naming OLD).',
    )
    .argument('<old>', 'current name')
    .argument('<new>', 'new name')
    .option(
      '--force',
      'rename even while active workflows use it (their next steps fail for a missing credential)',
    )
    .action(async (from: string, to: string, options: { force?: boolean }) => {
      await withStore(async (_store, by, service) => {
        await service.rename(from, to, by, { force: options.force === true });
        writeTerminal(deps.stdout, `Renamed credential "${from}" to "${to}".\n`);
      });
    });

  credentials
    .command('delete')
    .description('Delete credential NAME. Refused while an active workflow uses it, unless --force.')
    .argument('<name>', 'credential name')
    .option(
      '--force',
      'delete even while active workflows use it (their next steps fail for a missing credential)',
    )
    .action(async (name: string, options: { force?: boolean }) => {
      await withStore(async (_store, by, service) => {
        const deleted = await service.delete(name, by, { force: options.force === true });
        const broken = deleted.usedBy.filter((user) => user.active).map((user) => `"${user.name}"`);
        writeTerminal(
          deps.stdout,
          `Deleted credential "${name}".${broken.length > 0 ? ` Active workflows that used it: ${broken.join(', ')}.` : ''}\n`,
        );
      });
    });

  credentials
    .command('connect')
    .description(
      'Print a one-time link (30 minutes, single use) to connect credential NAME in a browser: for --type oauth2 (with --provider ID for a built-in provider, or the URLs and app settings) it goes to the provider to allow access and back to <VMESH_PUBLIC_URL>/oauth/callback (register that redirect URL at the provider); for other auth styles (bearer, api-key-header, basic, …) it opens a form where the key is pasted. Whoever holds a link made here can use it; opened in a browser signed in as another person it is refused.',
    )
    .argument('<name>', 'credential name')
    .requiredOption('--type <type>', 'credential type: oauth2, or an auth style such as bearer')
    .option(
      '--provider <id>',
      `oauth2: a built-in provider (${oauth2ProvidersOf(builtinConnectors)
        .map((provider) => provider.id)
        .join(
          ', ',
        )}): its URLs and scopes, and the app from VMESH_OAUTH_<PROVIDER>_CLIENT_ID/_CLIENT_SECRET; the flags below override them`,
    )
    .option('--authorize-url <url>', 'oauth2: the authorization endpoint')
    .option('--token-url <url>', 'oauth2: the token endpoint')
    .option('--client-id <id>', 'oauth2: the client id')
    .option(
      '--client-secret <secret>',
      'oauth2: the client secret, or - to read it from stdin (out of shell history)',
    )
    .option('--scopes <scopes>', 'oauth2: scopes, space-separated')
    .option('--json', 'print JSON: { "url": "…" }')
    .action(
      async (
        name: string,
        options: {
          type: string;
          provider?: string;
          authorizeUrl?: string;
          tokenUrl?: string;
          clientId?: string;
          clientSecret?: string;
          scopes?: string;
          json?: boolean;
        },
      ) => {
        const { key, sql, store, principal, close } = await deps.openStore();
        try {
          if (!key || !principal)
            throw new AppError({
              code: 'E_CONFIG',
              message: 'No secret key or local owner to make the link with.',
            });
          const publicUrl = deps.publicUrl ?? parseServerConfig(process.env).publicUrl;
          const providers = oauth2ProvidersOf(builtinConnectors);
          const links = createConnectLinks({
            sql,
            key,
            store,
            types: credentialTypesOf(builtinConnectors),
            publicUrl,
            fetch: createSafeFetchFromEnv(process.env),
            oauth2: { providers, apps: parseOAuth2Apps(deps.env ?? process.env, providers) },
          });
          const clientSecret =
            options.clientSecret === '-' ? (await readAll(deps.stdin)).trim() : options.clientSecret;
          if (options.clientSecret === '-' && !clientSecret)
            throw new AppError({
              code: 'E_INPUT',
              message: '--client-secret - reads the client secret from stdin, and stdin was empty.',
              hint: 'Pipe it in: `printf \'%s\' "$SECRET" | vmesh credentials connect NAME --type oauth2 … --client-secret -`.',
            });
          const fields =
            options.type === 'oauth2'
              ? {
                  authorizeUrl: options.authorizeUrl,
                  tokenUrl: options.tokenUrl,
                  clientId: options.clientId,
                  clientSecret,
                  ...(options.scopes?.trim() ? { scopes: options.scopes.trim().split(/\s+/) } : {}),
                }
              : undefined;
          const url = await links.create(
            {
              name,
              type: options.type,
              ...(fields ? { fields } : {}),
              ...(options.provider ? { provider: options.provider } : {}),
            },
            principal,
          );
          writeTerminal(
            deps.stdout,
            options.json
              ? `${JSON.stringify({ url })}\n`
              : `Open this link within 30 minutes to connect "${name}" (it works once):\n${url}\n`,
          );
        } catch (error) {
          if (!(error instanceof AppError)) throw error;
          writeTerminal(deps.stderr, `vmesh: ${error.message}\n${error.hint ? `hint: ${error.hint}\n` : ''}`);
          process.exitCode = 1;
        } finally {
          await close();
        }
      },
    );

  for (const [command, scope, said] of [
    ['share', 'workspace', 'shared with the workspace: every workflow may use it'],
    ['unshare', 'private', 'private: only workflows of its owner (and admins) may use it'],
  ] as const) {
    credentials
      .command(command)
      .description(
        scope === 'workspace'
          ? "Share credential NAME with the workspace, so everybody's workflows may use it (its owner, or an admin)."
          : 'Make credential NAME private again: only workflows its owner (or an admin) owns may use it.',
      )
      .argument('<name>', 'credential name')
      .action(async (name: string) => {
        await withStore(async (store, by) => {
          if (!by) throw new AppError({ code: 'E_UNAUTHORIZED', message: 'Nobody to act as.' });
          await store.share(name, scope, by);
          writeTerminal(deps.stdout, `Credential "${name}" is ${said}.\n`);
        });
      });
  }
}

function usedByText(view: CredentialView): string {
  const names = view.usedBy.map((user) => `${user.name}${user.active ? '' : ' (inactive)'}`);
  if (view.usedByHidden > 0) names.push(`${view.usedByHidden} more you may not see`);
  return names.length > 0 ? names.join(', ') : '-';
}

function table(rows: readonly CredentialView[]): string {
  const cells = rows.map((row) => [
    row.name,
    row.type,
    row.owner ?? '-',
    row.scope,
    row.state,
    row.lastUsedAt ?? 'never',
    usedByText(row),
  ]);
  const header = ['NAME', 'TYPE', 'OWNER', 'SCOPE', 'STATE', 'LAST USED', 'USED BY'];
  const widths = header.map((title, column) =>
    Math.max(title.length, ...cells.map((cell) => (cell[column] ?? '').length)),
  );
  const line = (cell: readonly string[]) =>
    `${cell
      .map((text, column) => (column === cell.length - 1 ? text : text.padEnd(widths[column] ?? 0)))
      .join('  ')}\n`;
  return [header, ...cells].map(line).join('');
}

function describe(view: CredentialView): string {
  return [
    `${view.name} (type ${view.type})`,
    `  owner:     ${view.owner ?? '-'} (${view.scope})`,
    `  state:     ${view.state}${view.stateReason ? `: ${view.stateReason}` : ''}`,
    `  last used: ${view.lastUsedAt ?? 'never'}`,
    `  used by:   ${usedByText(view)}`,
    '',
  ].join('\n');
}
