import type { Readable, Writable } from 'node:stream';
import type { Command } from 'commander';
import {
  builtinConnectors,
  type CredentialStore,
  createCredentialStore,
  credentialTypesOf,
  loadSecretKey,
  parseSecretInput,
} from '../../connectors/index.ts';
import { openDatabase, parseDatabaseConfig } from '../../db/index.ts';
import { AppError } from '../../lib/index.ts';
import { writeTerminal } from '../terminal-text.ts';

const MAX_SECRET_BYTES = 64 * 1024;

export type CredentialsCommandDeps = {
  /** Opens the store and returns it with a close function. */
  openStore(): Promise<{ store: CredentialStore; close(): Promise<void> }>;
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
    return { store, close: () => database.close() };
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
 * `vmesh credentials set|list|delete`. The secret is read from standard input (a JSON object, or one bare token
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
  const withStore = async (work: (store: CredentialStore) => Promise<void>) => {
    const { store, close } = await deps.openStore();
    try {
      await work(store);
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
      "Create or replace credential NAME. Reads the secret from stdin: a JSON object, or a bare token that becomes the type's main field (slack/github: token, discord: botToken or webhookUrl, http: bearer token).",
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
      await withStore(async (store) => {
        await store.set(name, options.type, parseSecretInput(text, definition));
        writeTerminal(deps.stdout, `Stored credential "${name}" (type ${options.type}).\n`);
      });
    });

  credentials
    .command('list')
    .description('List credential names and types (never the secrets).')
    .option('--json', 'print JSON: [{ name, type, createdAt, updatedAt }]')
    .action(async (options: { json?: boolean }) => {
      await withStore(async (store) => {
        const rows = await store.list();
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
        const width = Math.max(4, ...rows.map((row) => row.name.length));
        writeTerminal(deps.stdout, `${'NAME'.padEnd(width)}  TYPE\n`);
        for (const row of rows) writeTerminal(deps.stdout, `${row.name.padEnd(width)}  ${row.type}\n`);
      });
    });

  credentials
    .command('delete')
    .description('Delete credential NAME.')
    .argument('<name>', 'credential name')
    .action(async (name: string) => {
      await withStore(async (store) => {
        if (await store.delete(name)) writeTerminal(deps.stdout, `Deleted credential "${name}".\n`);
        else {
          writeTerminal(
            deps.stderr,
            `vmesh: no credential named "${name}".\nhint: see \`vmesh credentials list\`.\n`,
          );
          process.exitCode = 1;
        }
      });
    });
}
