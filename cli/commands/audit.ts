import type { Command } from 'commander';
import {
  type AuditEntry,
  listAudit,
  parseSince,
  parseSubject,
  verifyAuditChain,
} from '../../access/index.ts';
import { openDatabase, parseDatabaseConfig } from '../../db/index.ts';

/** Control characters and bidi overrides (from chat names, MCP clients, login attempts) shown, not obeyed. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;
const printable = (value: string): string =>
  value.replace(UNPRINTABLE, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);

function line(entry: AuditEntry): string {
  return printable(rawLine(entry));
}

function rawLine(entry: AuditEntry): string {
  const who = entry.identity ? `${entry.actor} [${entry.identity}]` : entry.actor;
  const hashes =
    entry.beforeHash || entry.afterHash ? `  ${entry.beforeHash ?? '∅'} → ${entry.afterHash ?? '∅'}` : '';
  return `${entry.id}  ${entry.at}  ${entry.via.padEnd(7)}  ${who}  ${entry.action}  ${entry.subjectType}:${entry.subjectId}${hashes}`;
}

/** `vmesh audit [--since 7d] [--actor NAME] [--subject TYPE:ID] [--limit N] [--json]` and `vmesh audit verify`. */
export function registerAuditCommand(program: Command): void {
  const audit = program
    .command('audit')
    .description(
      'The audit log of every change and decision, newest first; `vmesh audit verify` checks its hash chain.',
    )
    .option('--since <when>', 'only entries since a duration ago (7d, 12h, 30m, 2w) or a date')
    .option('--actor <name>', 'only entries by this user (name or id)')
    .option('--subject <type:id>', 'only entries about this subject, e.g. workflow:wf_123 (or just a type)')
    .option('--action <action>', 'only entries of this action, e.g. workflow.updated')
    .option('--limit <n>', 'at most N entries (1-500)', '50')
    .option('--json', 'print JSON: { entries, nextCursor }')
    .action(
      async (options: {
        since?: string;
        actor?: string;
        subject?: string;
        action?: string;
        limit: string;
        json?: boolean;
      }) => {
        const limit = Number(options.limit);
        if (!Number.isInteger(limit) || limit < 1 || limit > 500) {
          process.stderr.write(
            `vmesh audit: --limit must be a whole number from 1 to 500, not "${options.limit}".\n`,
          );
          process.exitCode = 2;
          return;
        }
        let since: Date | undefined;
        try {
          since = options.since ? parseSince(options.since) : undefined;
        } catch (error) {
          process.stderr.write(
            `vmesh audit: ${(error as Error).message}\nhint: --since takes 7d, 12h, 30m, 2w or a date.\n`,
          );
          process.exitCode = 2;
          return;
        }
        const database = await openDatabase(parseDatabaseConfig());
        try {
          const page = await listAudit(database.sql, {
            since,
            actor: options.actor,
            ...(options.subject ? parseSubject(options.subject) : {}),
            action: options.action,
            limit,
          });
          if (options.json) process.stdout.write(`${JSON.stringify(page, null, 2)}\n`);
          else if (page.entries.length === 0) process.stdout.write('No audit entries match.\n');
          else for (const entry of page.entries) process.stdout.write(`${line(entry)}\n`);
        } finally {
          await database.close();
        }
      },
    );

  audit
    .command('verify')
    .description(
      'Check the hash chain: exit 0 when every entry is intact, 1 naming the first broken entry otherwise.',
    )
    .option('--json', 'print JSON')
    .action(async (options: { json?: boolean }) => {
      const database = await openDatabase(parseDatabaseConfig());
      try {
        const result = await verifyAuditChain(database.sql);
        if (options.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
        if (result.ok) {
          if (!options.json)
            process.stdout.write(
              `Audit log intact: ${result.entries} entries chained${result.anchorId !== '0' ? ` after the pruning anchor (entry ${result.anchorId})` : ''}${result.unsealed ? `, ${result.unsealed} older entries not sealed yet` : ''}.\n`,
            );
        } else {
          process.stderr.write(
            `vmesh audit verify: the audit log is broken at entry ${result.entryId}: ${result.reason}.\nhint: entries before it (${result.checked} checked) are intact; compare with a backup to see what changed.\n`,
          );
          process.exitCode = 1;
        }
      } finally {
        await database.close();
      }
    });
}
