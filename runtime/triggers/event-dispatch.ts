import type { ConnectorDefinition } from '../../connectors/index.ts';
import type { Sql } from '../../db/index.ts';
import { logger } from '../../lib/index.ts';
import { InactiveWorkflowError, startRun } from '../engine/engine.ts';
import { getCachedWorkflow } from '../store/workflow-cache.ts';
import { findEventTrigger, passesFilters } from './connector-triggers.ts';

export type DispatchedRuns = { runIds: string[] };

/** Ids of the active workflows whose trigger is `type`. */
export async function activeWorkflowsWithTrigger(sql: Sql, type: string): Promise<string[]> {
  const rows = await sql`
    select id from workflows where trigger_type = ${type} and active and deleted_at is null order by created_at`;
  return rows.map((row) => String(row.id));
}

/**
 * Starts one run of `workflowId` with `data` unless it was deactivated meanwhile (undefined then). With a delivery
 * id, a redelivery within the dedupe window returns the first run.
 */
export async function startTriggeredRun(
  sql: Sql,
  workflowId: string,
  data: unknown,
  options: { triggerType: string; dedupeKey: string | undefined },
): Promise<string | undefined> {
  try {
    const { runId } = await startRun(sql, workflowId, data, { ...options, requireActive: true });
    return runId;
  } catch (error) {
    if (error instanceof InactiveWorkflowError) return undefined;
    throw error;
  }
}

/**
 * A front-end hands over one vendor event (e.g. the Slack bot, a Slack `message` event for
 * "slack.messagePosted"): the trigger parses it once, and every active workflow of that trigger type whose
 * `trigger.with` filters pass starts one run. `deliveryId` (the vendor's event id) makes redeliveries start none.
 * One workflow failing to start does not stop the others.
 */
export async function dispatchEvent(
  deps: { sql: Sql; connectors: readonly ConnectorDefinition[] },
  type: string,
  event: unknown,
  options: { deliveryId?: string | undefined } = {},
): Promise<DispatchedRuns> {
  const trigger = findEventTrigger(deps.connectors, type);
  if (!trigger) throw new Error(`dispatchEvent: "${type}" is not an event trigger of a loaded connector`);
  const data = trigger.parse(event);
  if (data === undefined) return { runIds: [] };
  const runIds: string[] = [];
  for (const workflowId of await activeWorkflowsWithTrigger(deps.sql, type)) {
    try {
      const cached = await getCachedWorkflow(deps.sql, workflowId);
      if (!cached || !passesFilters(trigger, cached.document.trigger.with, data)) continue;
      const runId = await startTriggeredRun(deps.sql, workflowId, data, {
        triggerType: type,
        dedupeKey: options.deliveryId ? `event:${options.deliveryId}` : undefined,
      });
      if (runId) runIds.push(runId);
    } catch (error) {
      logger.error({ err: error, workflowId, type }, 'could not start a run for an event trigger');
    }
  }
  return { runIds };
}
