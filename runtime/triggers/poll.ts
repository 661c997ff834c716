import { z } from 'zod';
import type { ConnectorDefinition, PollTriggerDefinition } from '../../connectors/index.ts';
import type { Sql, TransactionSql } from '../../db/index.ts';
import { AppError } from '../../lib/index.ts';
import type { NodeRunnerDeps } from '../engine/node-runner.ts';
import { getCachedWorkflow } from '../store/workflow-cache.ts';
import { findConnectorTrigger, passesFilters } from './connector-triggers.ts';
import { startTriggeredRun } from './event-dispatch.ts';

export const POLL_TASK = 'vmesh_poll';
/** Longest one poll may take before it is aborted (and retried with backoff). */
export const POLL_TIMEOUT_MS = 60_000;

const PollJobPayload = z.object({
  workflowId: z.string().min(1),
  /** Absent on the first poll after activation: that poll only sets the cursor. */
  cursor: z.unknown().optional(),
});

export function pollJobKey(workflowId: string): string {
  return `poll:${workflowId}`;
}

function findPollTrigger(
  connectors: readonly ConnectorDefinition[],
  type: string,
): { connector: ConnectorDefinition; trigger: PollTriggerDefinition } | undefined {
  const trigger = findConnectorTrigger(connectors, type);
  const connector = connectors.find((candidate) => type.startsWith(`${candidate.id}.`));
  return trigger?.kind === 'poll' && connector ? { connector, trigger } : undefined;
}

const Watermark = z.object({ at: z.number(), id: z.string() });

const WorkflowState = z
  .object({ active: z.boolean(), triggerType: z.string(), deletedAt: z.date().nullable() })
  .optional();

/**
 * Keeps exactly one pending poll job per active poll-triggered workflow (job key `poll:<id>`), removed when it is
 * deactivated, deleted or no longer has a poll trigger. A job already pending is left as it is, so a new version
 * keeps its cursor.
 */
export async function syncPoll(
  sql: Sql | TransactionSql,
  connectors: readonly ConnectorDefinition[],
  workflowId: string,
): Promise<void> {
  const [row] = await sql`select active, trigger_type, deleted_at from workflows where id = ${workflowId}`;
  const workflow = WorkflowState.parse(row);
  const polled = workflow && findPollTrigger(connectors, workflow.triggerType);
  if (!workflow?.active || workflow.deletedAt || !polled) {
    await sql`select graphile_worker.remove_job(${pollJobKey(workflowId)})`;
    return;
  }
  await sql`
    select id from graphile_worker.add_job(${POLL_TASK}, ${sql.json({ workflowId })}::json,
      job_key => ${pollJobKey(workflowId)}, job_key_mode => 'unsafe_dedupe', max_attempts => 25)`;
}

/**
 * One poll: asks the connector for what is new since the cursor, starts one run per new item that passes the
 * workflow's filters (deduplicated on `poll:<item id>`, so an item seen twice starts one run), and plans the next
 * poll with the new cursor after `intervalMs`. A failing poll throws: graphile-worker retries it with backoff.
 */
export async function runPollJob(deps: NodeRunnerDeps, payload: unknown): Promise<void> {
  const job = PollJobPayload.parse(payload);
  const { sql } = deps;
  const cached = await getCachedWorkflow(sql, job.workflowId, { fresh: true });
  if (!cached?.row.active) return;
  const type = cached.document.trigger.type;
  const polled = findPollTrigger(deps.connectors, type);
  if (!polled) return;
  const { connector, trigger } = polled;
  const filters = trigger.with.parse(cached.document.trigger.with ?? {});
  let credential: unknown;
  const credentialName = cached.document.trigger.credential;
  if (credentialName) {
    const stored = await deps.credentials?.get(credentialName);
    if (!stored) {
      throw new AppError({
        code: 'E_CREDENTIAL',
        message: `The credential "${credentialName}" of the ${type} trigger does not exist.`,
        hint: `Store it with \`vmesh credentials set ${credentialName} --type ${(trigger.credential ?? connector.credential)?.type ?? connector.id}\`.`,
      });
    }
    credential = stored.secret;
  }
  const signal = AbortSignal.timeout(POLL_TIMEOUT_MS);
  const client = connector.createClient({ credential, env: deps.connectorEnv, signal });
  const after = job.cursor === undefined ? undefined : Watermark.parse(job.cursor);
  const result = await trigger.poll(
    { credential, client, logger: deps.logger, signal, env: deps.connectorEnv },
    filters,
    { after, state: undefined },
  );
  const newItems = result.items.filter(
    (item) => !after || item.at > after.at || (item.at === after.at && item.id > after.id),
  );
  const newest = [...newItems].sort((a, b) => b.at - a.at || (b.id > a.id ? 1 : -1))[0];
  const cursor = newest ? { at: newest.at, id: newest.id } : (after ?? { at: 0, id: '' });
  if (job.cursor !== undefined) {
    for (const item of newItems) {
      if (!passesFilters(trigger, cached.document.trigger.with, item.data)) continue;
      await startTriggeredRun(sql, job.workflowId, item.data, {
        triggerType: type,
        dedupeKey: `poll:${item.id}`,
      });
    }
  }
  const next = new Date(Date.now() + trigger.intervalMs(filters));
  await sql`
    select id from graphile_worker.add_job(${POLL_TASK},
      ${sql.json({ workflowId: job.workflowId, cursor })}::json,
      run_at => ${next}, job_key => ${pollJobKey(job.workflowId)}, max_attempts => 25)`;
  deps.logger.debug({ workflowId: job.workflowId, items: result.items.length, next }, 'poll');
}
