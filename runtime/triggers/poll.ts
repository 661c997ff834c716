import { z } from 'zod';
import { assertCredentialUsableByWorkflow } from '../../access/index.ts';
import {
  type ConnectorDefinition,
  type PolledItem,
  type PollTriggerDefinition,
  triggerCredentialOf,
} from '../../connectors/index.ts';
import type { Sql, TransactionSql } from '../../db/index.ts';
import { AppError, describeError, redactString } from '../../lib/index.ts';
import { blockBudget, DEFAULT_BLOCK_MS, takeToken } from '../engine/connection-budget.ts';
import { createRunInTx } from '../engine/create-run.ts';
import { fileStoreOf, type NodeRunnerDeps } from '../engine/node-runner.ts';
import { toStepError } from '../engine/step-error.ts';
import { UnstorableValueError } from '../engine/stored-json.ts';
import { enqueueJob, flushWork, newWork } from '../engine/tx-work.ts';
import { findFileRefs, type StagedFiles } from '../files/index.ts';
import { getCachedWorkflow } from '../store/workflow-cache.ts';
import { loadDocument } from '../store/workflow-store.ts';
import { splitPollWith } from '../workflow/poll-trigger-with.ts';
import { findConnectorTrigger } from './connector-triggers.ts';
import { type PollSelection, recordFirstPoll, selectNewItems } from './poll-cursor.ts';
import {
  commitPollFailure,
  commitPollSuccess,
  deletePollState,
  ensurePollState,
  isSameState,
  type PollState,
  readPollState,
} from './poll-state.ts';
import { recordTriggerEvent, type TriggerEventDetails } from './trigger-events.ts';

export const POLL_TASK = 'vmesh_poll';
/** Longest one poll may take before it is abandoned (and counted as a failure). */
export const POLL_TIMEOUT_MS = 60_000;
/** A poll that has not succeeded for this many intervals raises `trigger.stalled` (once, until it recovers). */
export const STALL_INTERVALS = 5;
/** Longest wait between two failing polls (or the interval, when that is longer). */
export const MAX_BACKOFF_MS = 3_600_000;
/** Poll interval used while the trigger's filters do not parse (the interval comes from them). */
const FALLBACK_INTERVAL_MS = 60_000;
/** Next poll while new items wait beyond one poll's batch (or the interval, when that is shorter). */
const BACKLOG_INTERVAL_MS = 1_000;
const ERROR_MESSAGE_MAX = 1_000;

const PollJobPayload = z.object({ workflowId: z.string().min(1) });

/** What a connector's poll must return; checked, as any vendor-shaped input. */
const PollResultShape = z.object({
  items: z.array(z.object({ id: z.string().min(1).max(1_000), at: z.number().finite(), data: z.unknown() })),
  state: z.unknown().optional(),
  restarted: z.boolean().optional(),
});

const POLL_JOB_KEY_PREFIX = 'poll:';

export function pollJobKey(workflowId: string): string {
  return `${POLL_JOB_KEY_PREFIX}${workflowId}`;
}

/** The wait after the `failures`-th failure in a row: the interval doubled per failure, capped at an hour. */
export function backoffMs(intervalMs: number, failures: number): number {
  return Math.min(intervalMs * 2 ** Math.min(failures, 30), Math.max(MAX_BACKOFF_MS, intervalMs));
}

function findPollTrigger(
  connectors: readonly ConnectorDefinition[],
  type: string,
): { connector: ConnectorDefinition; trigger: PollTriggerDefinition } | undefined {
  const trigger = findConnectorTrigger(connectors, type);
  const connector = connectors.find((candidate) => type.startsWith(`${candidate.id}.`));
  return trigger?.kind === 'poll' && connector ? { connector, trigger } : undefined;
}

const WorkflowState = z
  .object({ active: z.boolean(), triggerType: z.string(), deletedAt: z.date().nullable() })
  .optional();

/**
 * Keeps exactly one pending poll job per active poll-triggered workflow (job key `poll:<id>`) and its poll state.
 * A new version of the same trigger keeps both (the cursor survives); deactivation, deletion or another kind of
 * trigger removes both, so the next activation is a first one again (records without firing).
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
    // The state row first: a poll committing right now holds its lock, and finds it gone once it is released.
    await deletePollState(sql, workflowId);
    await sql`select graphile_worker.remove_job(${pollJobKey(workflowId)})`;
    return;
  }
  await ensurePollState(sql, workflowId, workflow.triggerType);
  await sql`
    select id from graphile_worker.add_job(${POLL_TASK}, ${sql.json({ workflowId })}::json,
      job_key => ${pollJobKey(workflowId)}, job_key_mode => 'unsafe_dedupe', max_attempts => 25)`;
}

export const POLL_RESYNC_TASK = 'vmesh_poll_resync';
/** Every 10 minutes, once per slot across workers. */
export const POLL_RESYNC_CRONTAB = `*/10 * * * * ${POLL_RESYNC_TASK}`;

/**
 * Brings back the poll job of every active poll-triggered workflow that has none a worker will run: a job that used
 * up its attempts while the database was unreachable (only database failures reach graphile-worker's retry), or one
 * removed by hand. The poll state is kept, so the cursor survives. Returns the workflows whose job was restored.
 */
export async function resyncPollJobs(
  sql: Sql,
  connectors: readonly ConnectorDefinition[],
): Promise<string[]> {
  const rows = await sql`
    select w.id, w.trigger_type from workflows w
    where w.active and w.deleted_at is null
      and not exists (
        select 1 from graphile_worker._private_jobs j
        where j.key = ${POLL_JOB_KEY_PREFIX} || w.id and j.attempts < j.max_attempts)`;
  const restored: string[] = [];
  for (const row of rows) {
    const workflowId = String(row.id);
    if (!findPollTrigger(connectors, String(row.triggerType))) continue;
    await sql.begin(async (tx) => {
      await tx`select graphile_worker.remove_job(${pollJobKey(workflowId)})`;
      await syncPoll(tx, connectors, workflowId);
    });
    restored.push(workflowId);
  }
  return restored;
}

type PollFailure = { code: string; message: string };

function toPollFailure(error: unknown): PollFailure {
  const code = error instanceof AppError ? error.code : 'E_POLL_FAILED';
  return { code, message: redactString(describeError(error)).slice(0, ERROR_MESSAGE_MAX) };
}

/** Rejects when `signal` aborts, even if the connector ignores it. */
function untilAborted(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => {
    signal.addEventListener(
      'abort',
      () =>
        reject(
          new AppError({
            code: 'E_POLL_TIMEOUT',
            message: `The poll took longer than ${POLL_TIMEOUT_MS / 1000} s and was abandoned.`,
            hint: 'Check that the service answers; the next poll tries again.',
          }),
        ),
      { once: true },
    );
  });
}

type Fetched = {
  items: PolledItem<unknown>[];
  state: unknown;
  restarted: boolean;
  filters: unknown;
};

/** The poll's credential has no token in its rate budget (or a 429 blocks it): poll again after `waitMs`. */
class BudgetWait extends Error {
  readonly waitMs: number;
  constructor(waitMs: number) {
    super(`rate budget empty for ${waitMs} ms`);
    this.waitMs = waitMs;
  }
}

/**
 * Asks the connector for the items it lists now; every failure (filters, credential, vendor, shape) is thrown. A
 * poll with a credential takes a token of its rate budget first (BudgetWait when there is none), and a 429 blocks
 * the credential for every workflow and step using it.
 */
async function fetchItems(
  deps: NodeRunnerDeps,
  polled: { connector: ConnectorDefinition; trigger: PollTriggerDefinition },
  workflowId: string,
  trigger: { type: string; credential?: string | undefined },
  filters: unknown,
  state: PollState,
  staged: StagedFiles | undefined,
): Promise<Fetched> {
  const { connector } = polled;
  let credential: unknown;
  let credentialType: string | undefined;
  if (trigger.credential) {
    await assertCredentialUsableByWorkflow(deps.sql, workflowId, trigger.credential, 'trigger');
    const stored = await deps.credentials?.get(trigger.credential);
    if (!stored) {
      throw new AppError({
        code: 'E_CREDENTIAL',
        message: `The credential "${trigger.credential}" of the ${trigger.type} trigger does not exist.`,
        hint: `Store it with \`vmesh credentials set ${trigger.credential} --type ${triggerCredentialOf(connector, polled.trigger)?.type ?? connector.id}\`.`,
      });
    }
    credential = stored.secret;
    credentialType = stored.type;
  }
  // An oauth2 trigger credential is renewed as a step's is (Google's access tokens last an hour).
  const env =
    credentialType === 'oauth2' && trigger.credential && deps.oauth2Tokens
      ? { ...deps.connectorEnv, tokens: deps.oauth2Tokens.for(trigger.credential) }
      : deps.connectorEnv;
  const budgetKey = trigger.credential
    ? { connectorId: connector.id, credential: trigger.credential }
    : undefined;
  if (budgetKey) {
    const budget = await takeToken(deps.sql, budgetKey, connector.rateLimit);
    if (!budget.granted) throw new BudgetWait(budget.waitMs);
  }
  const previous = polled.trigger.state.safeParse(state.connectorState ?? undefined);
  const signal = AbortSignal.timeout(POLL_TIMEOUT_MS);
  const client = connector.createClient({ credential, env, signal });
  let raw: unknown;
  try {
    raw = await Promise.race([
      polled.trigger.poll(
        {
          credential,
          client,
          logger: deps.logger,
          signal,
          env,
          ...(staged ? { files: staged.port } : {}),
        },
        filters,
        {
          after: state.primedAt ? state.cursor.watermark : undefined,
          state: state.primedAt && previous.success ? previous.data : undefined,
        },
      ),
      untilAborted(signal),
    ]);
  } catch (error) {
    const failure = toStepError(error);
    if (budgetKey && (failure.status === 429 || failure.code === 'E_RATE_LIMITED'))
      await blockBudget(deps.sql, budgetKey, failure.retryAfterMs ?? DEFAULT_BLOCK_MS, connector.rateLimit);
    throw error;
  }
  const shape = PollResultShape.safeParse(raw);
  if (!shape.success) {
    throw new AppError({
      code: 'E_POLL_RESULT',
      message: `The ${trigger.type} trigger returned items the runtime cannot read: ${shape.error.issues[0]?.message ?? 'invalid'}.`,
      hint: 'Each item needs a non-empty string `id` and a finite number `at`; this is a bug of the connector.',
    });
  }
  let kept = state.connectorState;
  if (shape.data.state !== undefined) {
    const parsed = polled.trigger.state.safeParse(shape.data.state);
    if (!parsed.success) {
      throw new AppError({
        code: 'E_POLL_RESULT',
        message: `The ${trigger.type} trigger returned a state that does not match its own state schema.`,
        hint: 'This is a bug of the connector.',
      });
    }
    kept = parsed.data;
  }
  return {
    items: shape.data.items,
    state: kept,
    restarted: shape.data.restarted ?? false,
    filters,
  };
}

/** Locks the workflow (shared: versions and deactivation wait) and the poll state read before the fetch. */
async function lockForCommit(
  tx: TransactionSql,
  read: PollState,
): Promise<{ currentVersion: number } | undefined> {
  const [row] = await tx`
    select active, current_version from workflows where id = ${read.workflowId} and deleted_at is null for share`;
  const workflow = z.object({ active: z.boolean(), currentVersion: z.number() }).optional().parse(row);
  if (!workflow?.active) return undefined;
  // Another poll of the same workflow committed since this one read the state: its fetch is the newer one.
  if (!isSameState(await readPollState(tx, read.workflowId, { lock: true }), read)) return undefined;
  return workflow;
}

function eventDetails(
  state: PollState,
  intervalMs: number,
  failures: number,
  error: PollFailure | null,
): TriggerEventDetails {
  return {
    triggerType: state.triggerType,
    since: (state.lastSuccessAt ?? state.createdAt).toISOString(),
    failures,
    intervalMs,
    error,
  };
}

/**
 * Commits one successful poll in one transaction: a run for each new item that passes the filters (deduplicated
 * on `poll:<item id>` as a second guard), the new cursor, and the next poll job. Nothing commits when the
 * workflow was deactivated or another poll committed first.
 */
async function commitSuccess(
  deps: NodeRunnerDeps,
  polled: PollTriggerDefinition,
  read: PollState,
  fetched: Fetched,
  options: { backfill: number; intervalMs: number; staged: StagedFiles | undefined },
): Promise<PollSelection<unknown> | undefined> {
  return deps.sql.begin(async (tx) => {
    const workflow = await lockForCommit(tx, read);
    if (!workflow) return undefined;
    const first = read.primedAt === null || fetched.restarted;
    const selection = first
      ? recordFirstPoll(fetched.items, read.primedAt === null ? options.backfill : 0)
      : selectNewItems(read.cursor, fetched.items);
    const work = newWork();
    const claims: { runId: string; data: unknown }[] = [];
    if (selection.fire.length > 0) {
      const document = await loadDocument(tx, read.workflowId, workflow.currentVersion);
      for (const item of selection.fire) {
        if (polled.matches && !polled.matches(fetched.filters, item.data)) continue;
        const created = await createRunInTx(tx, work, {
          workflowId: read.workflowId,
          version: workflow.currentVersion,
          document,
          trigger: item.data,
          triggerType: read.triggerType,
          dedupeKey: `poll:${item.id}`,
        });
        if (!created.duplicate) claims.push({ runId: created.runId, data: item.data });
      }
    }
    if (read.stalledAt) {
      await recordTriggerEvent(
        tx,
        work,
        read.workflowId,
        'trigger.recovered',
        eventDetails(read, options.intervalMs, read.consecutiveFailures, null),
      );
    }
    const waitMs =
      selection.deferred > 0 ? Math.min(options.intervalMs, BACKLOG_INTERVAL_MS) : options.intervalMs;
    const nextPollAt = new Date(Date.now() + waitMs);
    await commitPollSuccess(tx, read, {
      cursor: selection.cursor,
      connectorState: fetched.state,
      nextPollAt,
    });
    enqueueJob(work, POLL_TASK, { workflowId: read.workflowId }, pollJobKey(read.workflowId), nextPollAt);
    await flushWork(tx, work);
    if (options.staged) await claimStagedFiles(tx, deps, read.workflowId, options.staged, claims);
    return selection;
  });
}

/**
 * Ties the files the poll staged to the runs whose trigger data names them (after the runs' rows are written, in
 * their transaction). The rest stays staged and is discarded after the poll.
 */
async function claimStagedFiles(
  tx: TransactionSql,
  deps: NodeRunnerDeps,
  workflowId: string,
  staged: StagedFiles,
  claims: readonly { runId: string; data: unknown }[],
): Promise<void> {
  const written = new Set(staged.written());
  if (written.size === 0) return;
  for (const claim of claims) {
    const ids = findFileRefs(claim.data)
      .map((ref) => ref.id)
      .filter((id) => written.has(id));
    await fileStoreOf(deps).claim(tx, workflowId, claim.runId, ids);
  }
}

/**
 * Records a failed poll and plans the next one after the backoff; past STALL_INTERVALS intervals without success
 * it raises `trigger.stalled` (once) for the conversation the workflow came from.
 */
async function commitFailure(
  deps: NodeRunnerDeps,
  read: PollState,
  failure: PollFailure,
  intervalMs: number,
): Promise<void> {
  await deps.sql.begin(async (tx) => {
    if (!(await lockForCommit(tx, read))) return;
    const failures = read.consecutiveFailures + 1;
    const since = (read.lastSuccessAt ?? read.createdAt).getTime();
    const stalled = Date.now() - since >= STALL_INTERVALS * intervalMs;
    const work = newWork();
    if (stalled && !read.stalledAt) {
      await recordTriggerEvent(
        tx,
        work,
        read.workflowId,
        'trigger.stalled',
        eventDetails(read, intervalMs, failures, failure),
      );
    }
    const nextPollAt = new Date(Date.now() + backoffMs(intervalMs, failures));
    await commitPollFailure(tx, read, { error: failure, nextPollAt, stalled });
    enqueueJob(work, POLL_TASK, { workflowId: read.workflowId }, pollJobKey(read.workflowId), nextPollAt);
    await flushWork(tx, work);
  });
}

/**
 * One poll of one workflow. The connector lists what is there; poll-cursor.ts picks the new items; the runs, the
 * cursor and the next poll commit together. A failing poll does not throw (that would be graphile-worker's own
 * retry): it is recorded and the next poll is planned after a backoff. Only a database failure throws, and the
 * job is retried; nothing was committed, so the retry polls again.
 */
export async function runPollJob(deps: NodeRunnerDeps, payload: unknown): Promise<void> {
  const { workflowId } = PollJobPayload.parse(payload);
  const { sql } = deps;
  const cached = await getCachedWorkflow(sql, workflowId, { fresh: true });
  if (!cached?.row.active) return;
  const type = cached.document.trigger.type;
  const polled = findPollTrigger(deps.connectors, type);
  if (!polled) return;
  let read = await readPollState(sql, workflowId);
  if (!read || read.triggerType !== type) {
    await sql.begin(async (tx) => {
      const [row] =
        await tx`select active from workflows where id = ${workflowId} and deleted_at is null for share`;
      if (row?.active === true) await ensurePollState(tx, workflowId, type);
    });
    read = await readPollState(sql, workflowId);
    if (!read) return;
  }
  const { backfill } = splitPollWith(cached.document.trigger.with);
  // Only a poll that may start runs stores files for them; what no run claims goes when the poll is done.
  const mayFire = read.primedAt !== null || backfill > 0;
  const staged = mayFire
    ? fileStoreOf(deps).forTrigger(workflowId, AbortSignal.timeout(POLL_TIMEOUT_MS))
    : undefined;
  try {
    await pollAndCommit(deps, { polled, cached, read, type, staged });
  } finally {
    await staged?.discard();
  }
}

async function pollAndCommit(
  deps: NodeRunnerDeps,
  job: {
    polled: { connector: ConnectorDefinition; trigger: PollTriggerDefinition };
    cached: { document: { trigger: { type: string; credential?: string | undefined; with?: unknown } } };
    read: PollState;
    type: string;
    staged: StagedFiles | undefined;
  },
): Promise<void> {
  const { polled, cached, read, type, staged } = job;
  const workflowId = read.workflowId;
  const { backfill, filters: rawFilters } = splitPollWith(cached.document.trigger.with);
  const parsedFilters = polled.trigger.with.safeParse(rawFilters);
  const intervalMs = parsedFilters.success
    ? Math.max(1, polled.trigger.intervalMs(parsedFilters.data))
    : FALLBACK_INTERVAL_MS;
  let fetched: Fetched;
  try {
    if (!parsedFilters.success) {
      throw new AppError({
        code: 'E_TRIGGER',
        message: `trigger.with is invalid for ${type}: ${parsedFilters.error.issues[0]?.message ?? 'invalid'}.`,
        hint: 'Fix trigger.with in a new version of the workflow.',
      });
    }
    fetched = await fetchItems(
      deps,
      polled,
      workflowId,
      cached.document.trigger,
      parsedFilters.data,
      read,
      staged,
    );
  } catch (error) {
    if (error instanceof BudgetWait) {
      // Not a failure: the same poll runs again when the credential's next token is due (its job key kept).
      await deps.sql`
        select graphile_worker.add_job(${POLL_TASK}, ${deps.sql.json({ workflowId })}::json,
          run_at => now() + ${error.waitMs} * interval '1 millisecond', job_key => ${pollJobKey(workflowId)},
          max_attempts => 25)`;
      return;
    }
    const failure = toPollFailure(error);
    await commitFailure(deps, read, failure, intervalMs);
    deps.logger.warn(
      { workflowId, code: failure.code, failures: read.consecutiveFailures + 1 },
      'poll failed',
    );
    return;
  }
  let selection: PollSelection<unknown> | undefined;
  try {
    selection = await commitSuccess(deps, polled.trigger, read, fetched, { backfill, intervalMs, staged });
  } catch (error) {
    // An item that cannot become trigger data would fail every retry: a poll failure (it stalls, visibly).
    if (!(error instanceof UnstorableValueError)) throw error;
    const failure: PollFailure = {
      code: 'E_POLL_ITEM',
      message: `An item of the ${type} trigger cannot start a run: ${error.message}.`,
    };
    await commitFailure(deps, read, failure, intervalMs);
    deps.logger.warn({ workflowId, code: failure.code }, 'poll failed');
    return;
  }
  deps.logger.debug(
    {
      workflowId,
      listed: fetched.items.length,
      fired: selection?.fire.length,
      deferred: selection?.deferred,
    },
    'poll',
  );
}
