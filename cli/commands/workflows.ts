import type { Readable } from 'node:stream';
import type { Command } from 'commander';
import { ensureLocalOwner } from '../../access/index.ts';
import { openDatabase, parseDatabaseConfig } from '../../db/index.ts';
import { printOut } from '../terminal-text.ts';
import { registerWorkflowOperations } from './workflow-operations.ts';
import { registerWorkflowRetention } from './workflow-retention.ts';

type Runtime = typeof import('../../runtime/index.ts');

/** One line per part of the trigger's health that exists: a poll's progress and failures, a subscription's state. */
function triggerHealthLines(health: import('../../runtime/index.ts').TriggerHealth): string[] {
  const lines: string[] = [];
  const { poll, subscription } = health;
  if (poll) {
    const error = poll.lastError ? `, last error ${poll.lastError.code}: ${poll.lastError.message}` : '';
    lines.push(
      `poll: ${poll.stalled ? 'STALLED' : 'ok'}, last success ${poll.lastSuccessAt ?? 'never'}, ${poll.consecutiveFailures} failures in a row, next ${poll.nextPollAt ?? '-'}${error}\n`,
    );
  }
  if (subscription) {
    const error = subscription.error ? `: ${subscription.error.code} ${subscription.error.message}` : '';
    lines.push(
      `subscription: ${subscription.status}${subscription.id ? ` (${subscription.id})` : ''}${error}\n`,
    );
  }
  return lines;
}

/** Opens the database while runtime/ loads (it brings the engine; `vmesh workflows --help` does not need it). */
async function withDatabase<T>(
  fn: (sql: Awaited<ReturnType<typeof openDatabase>>['sql'], runtime: Runtime) => Promise<T>,
): Promise<T> {
  const loading = import('../../runtime/index.ts');
  const database = await openDatabase(parseDatabaseConfig());
  try {
    return await fn(database.sql, await loading);
  } finally {
    await database.close();
  }
}

const MAX_SECRET_BYTES = 4096;

/** The secret piped in (one line; the trailing newline of `echo` or a paste is not part of it). */
async function readSecret(stream: Readable & { isTTY?: boolean }): Promise<string> {
  if (stream.isTTY) process.stderr.write('Paste the signing secret, then press Ctrl-D:\n');
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    size += buffer.byteLength;
    if (size > MAX_SECRET_BYTES)
      throw new Error(`The secret on stdin is larger than ${MAX_SECRET_BYTES} bytes.`);
    chunks.push(buffer);
  }
  const secret = Buffer.concat(chunks).toString('utf8').trim();
  if (secret === '') {
    throw new Error(
      'No secret on stdin. Pipe the sender\'s signing secret in, e.g. `printf %s "$STRIPE_WHSEC" | vmesh workflows hook-secret ID --set`.',
    );
  }
  return secret;
}

export function registerWorkflowsCommand(program: Command): void {
  const workflows = program.command('workflows').description('Stored workflows.');
  registerWorkflowOperations(workflows);
  registerWorkflowRetention(workflows);
  for (const [verb, scope, said] of [
    ['share', 'workspace', 'shared with the workspace'],
    ['unshare', 'private', 'private to its owner (and admins)'],
  ] as const) {
    workflows
      .command(`${verb} <id>`)
      .description(`Make workflow ID ${said}.`)
      .action(async (id: string) => {
        const row = await withDatabase(async (sql, { setWorkflowScope }) =>
          setWorkflowScope(sql, id, scope, { principal: await ensureLocalOwner(sql, 'cli') }),
        );
        printOut(`Workflow "${row.name}" (${row.id}) is ${said}.\n`);
      });
  }
  workflows
    .command('hook-secret <id>')
    .description(
      "Set workflow ID's hook secret to the sender's own signing secret (Stripe whsec_…, Slack signing secret), read from stdin. The old secret stops working at once.",
    )
    .option('--set', 'read the new secret from stdin (required)')
    .action(async (id: string, options: { set?: boolean }) => {
      if (!options.set) {
        throw new Error(
          'Pass --set and pipe the secret on stdin; to rotate to a new random secret, use POST /api/workflows/:id/hook-secret/rotate.',
        );
      }
      const secret = await readSecret(process.stdin);
      await withDatabase(async (sql, { getWorkflowRow, setHookSecret }) => {
        await getWorkflowRow(sql, id);
        await setHookSecret(sql, id, secret, { by: { principal: await ensureLocalOwner(sql, 'cli') } });
      });
      printOut(`Set the hook secret of workflow ${id}.\n`);
    });
  workflows
    .command('list')
    .option('--json', 'print JSON')
    .action(async (options: { json?: boolean }) => {
      const rows = await withDatabase((sql, { listWorkflowRows }) => listWorkflowRows(sql, { limit: 500 }));
      const view = rows.map((row) => ({
        id: row.id,
        name: row.name,
        active: row.active,
        version: row.currentVersion,
        triggerType: row.triggerType,
      }));
      if (options.json) printOut(`${JSON.stringify(view, null, 2)}\n`);
      else
        for (const row of view)
          printOut(
            `${row.id}  v${row.version}  ${row.active ? 'active  ' : 'inactive'}  ${row.triggerType.padEnd(9)} ${row.name}\n`,
          );
    });
  workflows
    .command('get')
    .argument('<id>')
    .option('--json', 'print JSON')
    .action(async (id: string, options: { json?: boolean }) => {
      const view = await withDatabase(async (sql, { getVersionRow, getWorkflowRow, triggerHealth }) => {
        const row = await getWorkflowRow(sql, id);
        const version = await getVersionRow(sql, id, row.currentVersion);
        return {
          id: row.id,
          name: row.name,
          active: row.active,
          version: row.currentVersion,
          contentHash: version.contentHash,
          document: version.document,
          ...(await triggerHealth(sql, id)),
        };
      });
      if (options.json) printOut(`${JSON.stringify(view, null, 2)}\n`);
      else
        printOut(
          `${view.id} ${view.name} v${view.version} ${view.active ? 'active' : 'inactive'}\n${triggerHealthLines(view).join('')}${JSON.stringify(view.document, null, 2)}\n`,
        );
    });
}
