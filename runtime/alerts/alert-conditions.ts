import type { Sql } from '../../db/index.ts';
import { credentialUsers } from '../store/credential-usage.ts';
import { stalledPollTriggers } from '../store/stalled-poll-triggers.ts';
import type { AlertCondition } from './alert-rule.ts';
import { learnStepShapes, shapeChanges } from './step-shape-learner.ts';

/** One thing a rule fires about: a workflow, a credential or a step. Messages name facts, never run data. */
export type AlertSubject = {
  /** Stable per rule: `workflow:ID`, `credential:NAME`, `step:WORKFLOW:NODE`. */
  key: string;
  /** Short name for the recovery message. */
  label: string;
  /** Whose conversations a `conversation` destination tells. */
  workflowIds: string[];
  message: string;
  /** The evidence on the web page. */
  link: string;
};

export type ConditionContext = {
  sql: Sql;
  /** The rule's workflow, or null for every workflow. */
  workflowId: string | null;
  /** When the rule was made: "no success for N hours" counts from no earlier than this. */
  ruleCreatedAt: Date;
  now: Date;
  /** Links point here, e.g. https://vmesh.example.com. */
  publicUrl: string;
};

/** Subjects per rule and tick, at most: a global rule over a large workspace stays bounded. */
const MAX_SUBJECTS = 100;
/** Workflows whose step shapes one global output_shape rule reads per tick (the least recently read first). */
const SHAPE_WORKFLOWS_PER_TICK = 10;

const base = (url: string) => url.replace(/\/+$/, '');
export const workflowLink = (url: string, id: string) => `${base(url)}/#/workflows/${encodeURIComponent(id)}`;
export const runLink = (url: string, id: string) => `${base(url)}/#/runs/${encodeURIComponent(id)}`;

const named = (row: { id: string; name: string }) => `workflow "${row.name}" (${row.id})`;

async function failureRate(
  ctx: ConditionContext,
  condition: Extract<AlertCondition, { kind: 'failure_rate' }>,
): Promise<AlertSubject[]> {
  const since = new Date(ctx.now.getTime() - condition.windowMinutes * 60_000);
  const rows = await ctx.sql`
    select w.id, w.name, count(*)::int as finished,
      (count(*) filter (where r.status = 'failed'))::int as failed,
      (array_agg(r.id order by r.finished_at desc) filter (where r.status = 'failed'))[1:3] as failed_runs
    from runs r join workflows w on w.id = r.workflow_id
    where r.created_at >= ${since} and r.created_at <= ${ctx.now} and r.status in ('succeeded', 'failed')
      and r.parent_run_id is null and w.deleted_at is null
      ${ctx.workflowId === null ? ctx.sql`` : ctx.sql`and r.workflow_id = ${ctx.workflowId}`}
    group by w.id, w.name
    having count(*) >= ${condition.minRuns}
      and (count(*) filter (where r.status = 'failed'))::float8 / count(*) >= ${condition.threshold}
    order by w.id limit ${MAX_SUBJECTS}`;
  return rows.map((row) => {
    const workflow = { id: String(row.id), name: String(row.name) };
    const failedRuns = (row.failedRuns as string[] | null) ?? [];
    const percent = Math.round((Number(row.failed) / Number(row.finished)) * 100);
    return {
      key: `workflow:${workflow.id}`,
      label: named(workflow),
      workflowIds: [workflow.id],
      message:
        `${Number(row.failed)} of ${Number(row.finished)} runs of ${named(workflow)} failed in the last ` +
        `${condition.windowMinutes} minutes (${percent}%, threshold ${Math.round(condition.threshold * 100)}%). ` +
        `Latest failed runs: ${failedRuns.join(', ')}.`,
      link: failedRuns[0] ? runLink(ctx.publicUrl, failedRuns[0]) : workflowLink(ctx.publicUrl, workflow.id),
    };
  });
}

async function noSuccess(
  ctx: ConditionContext,
  condition: Extract<AlertCondition, { kind: 'no_success' }>,
): Promise<AlertSubject[]> {
  const cutoff = new Date(ctx.now.getTime() - condition.hours * 3_600_000);
  // Counted from the last success, else from when the workflow last changed (activation included) or the rule
  // was made, whichever is later: a rule made today does not fire about last month at once.
  const rows = await ctx.sql`
    select w.id, w.name, last.at as last_success
    from workflows w
    left join lateral (
      select max(r.finished_at) as at from runs r where r.workflow_id = w.id and r.status = 'succeeded'
    ) last on true
    where w.active and w.deleted_at is null
      ${ctx.workflowId === null ? ctx.sql`` : ctx.sql`and w.id = ${ctx.workflowId}`}
      and coalesce(last.at, greatest(w.updated_at, ${ctx.ruleCreatedAt}::timestamptz)) < ${cutoff}
    order by w.id limit ${MAX_SUBJECTS}`;
  return rows.map((row) => {
    const workflow = { id: String(row.id), name: String(row.name) };
    const last = row.lastSuccess instanceof Date ? row.lastSuccess.toISOString() : null;
    return {
      key: `workflow:${workflow.id}`,
      label: named(workflow),
      workflowIds: [workflow.id],
      message:
        `${named(workflow)} has had no successful run for ${condition.hours} hours` +
        (last ? ` (last success ${last}).` : ' (no successful run yet).') +
        ' It may have stopped running: check its trigger and its recent runs.',
      link: workflowLink(ctx.publicUrl, workflow.id),
    };
  });
}

async function pollStalled(ctx: ConditionContext): Promise<AlertSubject[]> {
  const stalled = (await stalledPollTriggers(ctx.sql, ctx.workflowId ?? undefined)).slice(0, MAX_SUBJECTS);
  if (stalled.length === 0) return [];
  const names = await workflowNames(
    ctx.sql,
    stalled.map((row) => row.workflowId),
  );
  return stalled.flatMap((row) => {
    const name = names.get(row.workflowId);
    if (name === undefined) return [];
    const workflow = { id: row.workflowId, name };
    return [
      {
        key: `workflow:${workflow.id}`,
        label: `the ${row.triggerType} trigger of ${named(workflow)}`,
        workflowIds: [workflow.id],
        message:
          `The ${row.triggerType} trigger of ${named(workflow)} has stalled since ${row.stalledAt.toISOString()} ` +
          `(${row.consecutiveFailures} failed polls in a row${row.lastErrorCode ? `, last error ${row.lastErrorCode}` : ''}). No runs start while it fails.`,
        link: workflowLink(ctx.publicUrl, workflow.id),
      },
    ];
  });
}

async function credentialReconnect(ctx: ConditionContext): Promise<AlertSubject[]> {
  const rows = await ctx.sql`
    select name from credentials where state = 'needs_reconnect' order by name limit ${MAX_SUBJECTS}`;
  if (rows.length === 0) return [];
  const users = await credentialUsers(ctx.sql);
  return rows.flatMap((row) => {
    const name = String(row.name);
    const usedBy = (users.get(name) ?? []).filter((user) => user.active);
    if (ctx.workflowId !== null && !usedBy.some((user) => user.id === ctx.workflowId)) return [];
    const listed = usedBy.slice(0, 5).map((user) => `"${user.name}"`);
    return [
      {
        key: `credential:${name}`,
        label: `the credential "${name}"`,
        workflowIds: ctx.workflowId !== null ? [ctx.workflowId] : usedBy.map((user) => user.id),
        message:
          `The credential "${name}" needs reconnecting: the provider refused it.` +
          (listed.length > 0 ? ` Active workflows using it: ${listed.join(', ')}.` : '') +
          ' Reconnect it on the Credentials page or with `vmesh credentials connect`.',
        link: `${base(ctx.publicUrl)}/#/credentials`,
      },
    ];
  });
}

async function outputShape(ctx: ConditionContext): Promise<AlertSubject[]> {
  const workflows =
    ctx.workflowId !== null
      ? [ctx.workflowId]
      : (
          await ctx.sql`
            select w.id from workflows w left join step_shape_cursors c on c.workflow_id = w.id
            where w.active and w.deleted_at is null
            order by c.read_at nulls first, w.id limit ${SHAPE_WORKFLOWS_PER_TICK}`
        ).map((row) => String(row.id));
  for (const id of workflows) await learnStepShapes(ctx.sql, id, ctx.now);
  const changed =
    ctx.workflowId !== null
      ? (await shapeChanges(ctx.sql, ctx.workflowId)).map((change) => ({
          ...change,
          workflowId: ctx.workflowId ?? '',
        }))
      : await allShapeChanges(ctx.sql);
  const names = await workflowNames(
    ctx.sql,
    changed.map((change) => change.workflowId),
  );
  return changed.slice(0, MAX_SUBJECTS).flatMap((change) => {
    const name = names.get(change.workflowId);
    if (name === undefined || change.missing.length === 0) return [];
    const workflow = { id: change.workflowId, name };
    return [
      {
        key: `step:${workflow.id}:${change.nodeId}`,
        label: `step "${change.nodeId}" of ${named(workflow)}`,
        workflowIds: [workflow.id],
        message:
          `The output of step "${change.nodeId}" of ${named(workflow)} no longer has ` +
          `${change.missing.map((path) => `\`${path}\``).join(', ')}, which its earlier successful outputs had` +
          (change.runId ? ` (latest: run ${change.runId})` : '') +
          '. Steps after it may be reading nothing.',
        link: change.runId ? runLink(ctx.publicUrl, change.runId) : workflowLink(ctx.publicUrl, workflow.id),
      },
    ];
  });
}

async function allShapeChanges(sql: Sql) {
  const rows = await sql`
    select distinct workflow_id from step_shapes where missing <> '{}'::jsonb order by workflow_id limit ${MAX_SUBJECTS}`;
  const changes = [];
  for (const row of rows)
    for (const change of await shapeChanges(sql, String(row.workflowId)))
      changes.push({ ...change, workflowId: String(row.workflowId) });
  return changes;
}

async function workflowNames(sql: Sql, ids: readonly string[]): Promise<Map<string, string>> {
  if (ids.length === 0) return new Map();
  const rows = await sql`
    select id, name from workflows where id = any(${[...new Set(ids)]}) and deleted_at is null`;
  return new Map(rows.map((row) => [String(row.id), String(row.name)]));
}

/** What a rule's condition fires about now. */
export function subjectsOf(ctx: ConditionContext, condition: AlertCondition): Promise<AlertSubject[]> {
  switch (condition.kind) {
    case 'failure_rate':
      return failureRate(ctx, condition);
    case 'no_success':
      return noSuccess(ctx, condition);
    case 'poll_stalled':
      return pollStalled(ctx);
    case 'credential_reconnect':
      return credentialReconnect(ctx);
    case 'output_shape':
      return outputShape(ctx);
  }
}
