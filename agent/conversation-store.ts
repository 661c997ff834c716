import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { json, type Sql, type TransactionSql } from '../db/index.ts';
import type { WorkflowDocument } from '../runtime/index.ts';
import { PROPOSAL_KINDS } from '../tools/index.ts';
import type { ChatMessage } from './providers/model-provider.ts';
import { ProposalView, type Reply } from './reply.ts';
import { sanitizeJson } from './sanitize-text.ts';

type Db = Sql | TransactionSql;

export const newConversationId = () => `conv_${randomBytes(12).toString('base64url')}`;
export const newProposalId = () => `prop_${randomBytes(12).toString('base64url')}`;

const ToolCallSchema = z.object({ id: z.string(), name: z.string(), input: z.unknown() });
export const ChatMessageSchema: z.ZodType<ChatMessage> = z.discriminatedUnion('role', [
  z.object({ role: z.literal('user'), content: z.string() }),
  z.object({ role: z.literal('assistant'), text: z.string(), toolCalls: z.array(ToolCallSchema) }),
  z.object({
    role: z.literal('tool'),
    results: z.array(
      z.object({ toolCallId: z.string(), name: z.string(), content: z.string(), isError: z.boolean() }),
    ),
  }),
]) as z.ZodType<ChatMessage>;

export const ConversationRow = z.object({
  id: z.string(),
  frontEnd: z.string(),
  threadKey: z.string(),
  workflowRefs: z.array(z.string()),
  createdBy: z.string().nullable(),
});
export type ConversationRow = z.infer<typeof ConversationRow>;

/** `slack:T1:C1:123.4` → front-end `slack`; a key without a prefix belongs to `web`. */
export function frontEndOf(threadKey: string): string {
  const colon = threadKey.indexOf(':');
  return colon > 0 ? threadKey.slice(0, colon) : 'web';
}

/** The conversation of a thread; `participant` (a user id) joins the people its pending proposals are shown to. */
export async function ensureConversation(
  sql: Db,
  threadKey: string,
  actor: string,
  participant?: string,
): Promise<ConversationRow> {
  const frontEnd = frontEndOf(threadKey);
  const joined = participant ? [participant] : [];
  const [row] = await sql`
    insert into conversations (id, front_end, thread_key, created_by, participants)
    values (${newConversationId()}, ${frontEnd}, ${threadKey}, ${actor}, ${sql.json(joined)})
    on conflict (front_end, thread_key) do update set updated_at = now(),
      participants = case when conversations.participants @> excluded.participants then conversations.participants
        else conversations.participants || excluded.participants end
    returning id, front_end, thread_key, workflow_refs, created_by`;
  return ConversationRow.parse(row);
}

/** Ids of the conversations `userId` took part in. */
export async function conversationsOf(sql: Db, userId: string): Promise<Set<string>> {
  const rows = await sql`select id from conversations where participants ? ${userId}`;
  return new Set(rows.map((row) => String(row.id)));
}

export async function findConversation(sql: Db, id: string): Promise<ConversationRow | undefined> {
  const [row] =
    await sql`select id, front_end, thread_key, workflow_refs, created_by from conversations where id = ${id}`;
  return row ? ConversationRow.parse(row) : undefined;
}

export async function addWorkflowRef(sql: Db, conversationId: string, workflowId: string): Promise<void> {
  await sql`
    update conversations set workflow_refs = workflow_refs || ${sql.json([workflowId])}, updated_at = now()
    where id = ${conversationId} and not workflow_refs ? ${workflowId}`;
}

/** The model's history: the latest messages, starting at a user message so tool calls keep their results. */
export async function loadHistory(sql: Db, conversationId: string, limit = 60): Promise<ChatMessage[]> {
  const rows = await sql`
    select role, content from (
      select id, role, content from conversation_messages where conversation_id = ${conversationId}
      order by id desc limit ${limit}
    ) latest order by id asc`;
  const messages = rows.map((row) => ChatMessageSchema.parse(row.content));
  const firstUser = messages.findIndex((message) => message.role === 'user');
  return firstUser === -1 ? [] : messages.slice(firstUser);
}

/** Replies as stored: a connect link's URL is a live key to connect a credential and is never kept. */
const storable = (replies: Reply[]): Reply[] =>
  replies.map((reply) => (reply.type === 'connect_link' ? { ...reply, url: null } : reply));

export async function appendMessages(
  sql: Db,
  conversationId: string,
  messages: ChatMessage[],
  meta: { actor: string; replies?: Reply[]; promptVersion?: string; model?: string; usage?: unknown },
): Promise<void> {
  for (const [index, message] of messages.entries()) {
    const last = index === messages.length - 1;
    await sql`
      insert into conversation_messages (conversation_id, role, actor, content, replies, prompt_version, model, usage)
      values (${conversationId}, ${message.role}, ${message.role === 'user' ? meta.actor : null},
        ${json(sql, sanitizeJson(message))}, ${last && meta.replies ? json(sql, sanitizeJson(storable(meta.replies))) : null},
        ${meta.promptVersion ?? null}, ${meta.model ?? null}, ${last && meta.usage ? json(sql, meta.usage) : null})`;
  }
  await sql`update conversations set updated_at = now() where id = ${conversationId}`;
}

const ProposalRow = z.object({
  id: z.string(),
  conversationId: z.string().nullable(),
  kind: z.enum(PROPOSAL_KINDS),
  status: z.enum(['pending', 'approved', 'rejected', 'superseded']),
  document: z.record(z.string(), z.unknown()).nullable(),
  documentHash: z.string().nullable(),
  summary: z.string(),
  diff: z.array(z.unknown()),
  approvers: z.array(z.string()),
  workflowId: z.string().nullable(),
  baseVersion: z.number().nullable(),
  runId: z.string().nullable(),
  details: z.record(z.string(), z.unknown()),
  createdBy: z.string(),
  decidedBy: z.string().nullable(),
  outcome: z.record(z.string(), z.unknown()).nullable(),
  createdAt: z.date(),
  proposerId: z.string().nullable(),
  proposerMayApprove: z.boolean(),
  secondPersonReasons: z.array(z.string()),
});
export type ProposalRow = z.infer<typeof ProposalRow>;

const PROPOSAL_COLUMNS = [
  'id',
  'conversation_id',
  'kind',
  'status',
  'document',
  'document_hash',
  'summary',
  'diff',
  'approvers',
  'workflow_id',
  'base_version',
  'run_id',
  'details',
  'created_by',
  'decided_by',
  'outcome',
  'created_at',
  'proposer_id',
  'proposer_may_approve',
  'second_person_reasons',
];

/**
 * Stores a proposal. A newer proposal for the same thing in the same conversation replaces (supersedes) a pending
 * older one; the new one's `details.replaces` names those the person saw (so its card can say so and offer to keep
 * both), except `sameTurn` ones: drafts the agent revised within one answer, never shown on their own.
 */
export async function insertProposal(
  sql: Db,
  proposal: Omit<ProposalRow, 'id' | 'status' | 'decidedBy' | 'outcome' | 'createdAt'>,
  options: { sameTurn?: readonly string[] } = {},
): Promise<ProposalRow> {
  const id = newProposalId();
  return (sql as Sql).begin(async (tx) => {
    const superseded = proposal.conversationId
      ? await tx`
        update proposals set status = 'superseded', details = details || jsonb_build_object('supersededBy', ${id}::text)
        where status = 'pending' and conversation_id = ${proposal.conversationId} and kind = ${proposal.kind}
          and coalesce(workflow_id, '') = ${proposal.workflowId ?? ''} and coalesce(run_id, '') = ${proposal.runId ?? ''}
        returning id`
      : [];
    const sameTurn = new Set(options.sameTurn ?? []);
    const replaces = superseded.map((row) => String(row.id)).filter((old) => !sameTurn.has(old));
    const details = replaces.length > 0 ? { ...proposal.details, replaces } : proposal.details;
    const [row] = await tx`
      insert into proposals (id, conversation_id, kind, document, document_hash, summary, diff, approvers, workflow_id,
        base_version, run_id, details, created_by, proposer_id, proposer_may_approve, second_person_reasons)
      values (${id}, ${proposal.conversationId}, ${proposal.kind},
        ${proposal.document ? json(tx, proposal.document) : null}, ${proposal.documentHash}, ${sanitizeJson(proposal.summary)},
        ${json(tx, sanitizeJson(proposal.diff))}, ${tx.json(proposal.approvers)}, ${proposal.workflowId}, ${proposal.baseVersion},
        ${proposal.runId}, ${json(tx, sanitizeJson(details))}, ${proposal.createdBy}, ${proposal.proposerId},
        ${proposal.proposerMayApprove}, ${tx.json(proposal.secondPersonReasons)})
      returning ${tx(PROPOSAL_COLUMNS)}`;
    return ProposalRow.parse(row);
  });
}

/**
 * "Keep both": the proposals `proposalId` replaced are open (pending) again, as long as nothing else decided or
 * replaced them since; `proposalId` no longer names them as replaced. Returns the reopened rows.
 */
export async function reopenReplacedProposals(sql: Db, proposalId: string): Promise<ProposalRow[]> {
  return (sql as Sql).begin(async (tx) => {
    const [current] = await tx`select details from proposals where id = ${proposalId} for update`;
    const replaces = z
      .array(z.string())
      .catch([])
      .parse(current?.details?.replaces ?? []);
    if (replaces.length === 0) return [];
    const reopened = await tx`
      update proposals set status = 'pending', details = details - 'supersededBy'
      where id in ${tx(replaces)} and status = 'superseded' and details->>'supersededBy' = ${proposalId}
      returning ${tx(PROPOSAL_COLUMNS)}`;
    await tx`
      update proposals set details = (details - 'replaces') || jsonb_build_object('keptBoth', ${json(tx, replaces)}::jsonb)
      where id = ${proposalId}`;
    return reopened.map((row) => ProposalRow.parse(row));
  });
}

export async function findProposal(sql: Db, id: string): Promise<ProposalRow | undefined> {
  const [row] = await sql`select ${sql(PROPOSAL_COLUMNS)} from proposals where id = ${id}`;
  return row ? ProposalRow.parse(row) : undefined;
}

export async function listProposalRows(
  sql: Db,
  filter: { status?: string | undefined; conversationId?: string | undefined; limit?: number } = {},
): Promise<ProposalRow[]> {
  const rows = await sql`
    select ${sql(PROPOSAL_COLUMNS)} from proposals
    where (${filter.status ?? null}::text is null or status = ${filter.status ?? null})
      and (${filter.conversationId ?? null}::text is null or conversation_id = ${filter.conversationId ?? null})
    order by created_at desc limit ${filter.limit ?? 100}`;
  return rows.map((row) => ProposalRow.parse(row));
}

/** Atomically claims a pending proposal for a decision; undefined when it is no longer pending. */
export async function claimProposal(
  sql: Db,
  id: string,
  status: 'approved' | 'rejected',
  actor: string,
): Promise<ProposalRow | undefined> {
  const [row] = await sql`
    update proposals set status = ${status}, decided_by = ${actor}, decided_at = now()
    where id = ${id} and status = 'pending' returning ${sql(PROPOSAL_COLUMNS)}`;
  return row ? ProposalRow.parse(row) : undefined;
}

export async function releaseProposal(sql: Db, id: string): Promise<void> {
  await sql`update proposals set status = 'pending', decided_by = null, decided_at = null where id = ${id}`;
}

export async function setProposalOutcome(
  sql: Db,
  id: string,
  outcome: Record<string, unknown>,
  workflowId?: string,
): Promise<void> {
  await sql`
    update proposals set outcome = ${json(sql, outcome)}, workflow_id = coalesce(${workflowId ?? null}, workflow_id)
    where id = ${id}`;
}

/** Records a failure; `first` is true only the first time this fingerprint is seen. */
export async function recordFailure(
  sql: Db,
  failure: { fingerprint: string; workflowId: string; runId: string },
): Promise<{ first: boolean; occurrences: number; proposalId: string | null }> {
  const [row] = await sql`
    insert into failure_groups (fingerprint, workflow_id, first_run_id, last_run_id)
    values (${failure.fingerprint}, ${failure.workflowId}, ${failure.runId}, ${failure.runId})
    on conflict (fingerprint) do update set
      occurrences = failure_groups.occurrences + (case when failure_groups.last_run_id = excluded.last_run_id
        or failure_groups.first_run_id = excluded.last_run_id then 0 else 1 end),
      last_run_id = excluded.last_run_id, updated_at = now()
    returning (xmax = 0) as first, occurrences, proposal_id`;
  return z
    .object({ first: z.boolean(), occurrences: z.number(), proposalId: z.string().nullable() })
    .parse(row);
}

export async function setFailureProposal(sql: Db, fingerprint: string, proposalId: string): Promise<void> {
  await sql`update failure_groups set proposal_id = ${proposalId}, updated_at = now() where fingerprint = ${fingerprint}`;
}

/**
 * Pending proposals that were waiting for credential NAME: it leaves their missingCredentials and joins their
 * connectedCredentials (what the person sees as satisfied). Returns the updated rows.
 */
export async function markCredentialConnected(sql: Db, name: string): Promise<ProposalRow[]> {
  const rows = await sql`
    update proposals set details = details
      || jsonb_build_object(
        'missingCredentials',
        coalesce((select jsonb_agg(entry) from jsonb_array_elements(details->'missingCredentials') entry
          where entry->>'name' <> ${name}), '[]'::jsonb),
        'connectedCredentials',
        coalesce(details->'connectedCredentials', '[]'::jsonb) || to_jsonb(${name}::text))
    where status = 'pending' and details->'missingCredentials' @> ${json(sql, [{ name }])}
    returning ${sql(PROPOSAL_COLUMNS)}`;
  return rows.map((row) => ProposalRow.parse(row));
}

export function toProposalView(row: ProposalRow): ProposalView {
  const details = row.details;
  const effects = ProposalView.shape.effects.safeParse(details.effects ?? null);
  const missing = ProposalView.shape.missingCredentials.safeParse(details.missingCredentials ?? []);
  const connected = ProposalView.shape.connectedCredentials.safeParse(details.connectedCredentials ?? []);
  const warnings = ProposalView.shape.warnings.safeParse(details.warnings ?? []);
  const dryRun = z.object({ ok: z.boolean() }).loose().safeParse(details.dryRun);
  const approval = ProposalView.shape.approval.safeParse(details.approval ?? null);
  const setup = ProposalView.shape.setup.safeParse(details.setup ?? []);
  const replaces = ProposalView.shape.replaces.safeParse(details.replaces ?? []);
  return {
    id: row.id,
    kind: row.kind,
    status: row.status,
    summary: row.summary,
    conversationId: row.conversationId,
    workflowId: row.workflowId,
    runId: row.runId,
    baseVersion: row.baseVersion,
    document: row.document as WorkflowDocument | null,
    documentHash: row.documentHash,
    diff: row.diff,
    approvers: row.approvers,
    missingCredentials: missing.success ? missing.data : [],
    connectedCredentials: connected.success ? connected.data : [],
    effects: effects.success ? effects.data : null,
    warnings: warnings.success ? warnings.data : [],
    setup: setup.success ? setup.data : [],
    replaces: replaces.success ? replaces.data : [],
    dryRunOk: dryRun.success ? dryRun.data.ok : null,
    approval: approval.success ? approval.data : null,
    createdBy: row.createdBy,
    createdAt: row.createdAt.toISOString(),
  };
}
