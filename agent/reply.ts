import { z } from 'zod';

/** A proposal as every front-end shows it (the workflow preview). */
export const ProposalView = z.object({
  id: z.string(),
  kind: z.enum(['new', 'change', 'fix']),
  status: z.enum(['pending', 'approved', 'rejected', 'superseded']),
  summary: z.string(),
  conversationId: z.string().nullable(),
  workflowId: z.string().nullable(),
  runId: z.string().nullable(),
  baseVersion: z.number().nullable(),
  /** The exact document a person approves (null for a plain retry fix). */
  document: z.record(z.string(), z.unknown()).nullable(),
  /** Approval is bound to this hash: a different document needs a new proposal. */
  documentHash: z.string().nullable(),
  /** RFC 6902 operations from the current version (empty for a new workflow). */
  diff: z.array(z.unknown()),
  /** Who may approve; empty: anyone in the conversation. */
  approvers: z.array(z.string()),
  missingCredentials: z.array(
    z.object({ name: z.string(), type: z.string(), nodes: z.array(z.string()), command: z.string() }),
  ),
  /** Steps that write to the outside world; what is new compared to the current version. */
  effects: z
    .object({
      writeSteps: z.array(z.unknown()),
      newWriteSteps: z.array(
        z.object({
          id: z.string(),
          uses: z.string(),
          target: z.string().nullable(),
          credential: z.string().nullable(),
        }),
      ),
      newCredentials: z.array(z.string()),
    })
    .nullable(),
  warnings: z.array(z.object({ code: z.string(), path: z.string(), message: z.string() }).loose()),
  dryRunOk: z.boolean().nullable(),
  createdBy: z.string(),
  createdAt: z.string(),
});
export type ProposalView = z.infer<typeof ProposalView>;

/** One message model for every front-end (Slack, Discord, MCP, web, CLI). */
export const Reply = z.discriminatedUnion('type', [
  z.object({ type: z.literal('text'), text: z.string() }),
  /** A new workflow or a change, awaiting approval. */
  z.object({ type: z.literal('proposal'), proposal: ProposalView }),
  /** A fix for a failed run, awaiting approval; approve with resume 'from-failed-step' or 'rerun'. */
  z.object({
    type: z.literal('fix-proposal'),
    proposal: ProposalView,
    failure: z.object({ runId: z.string(), nodeId: z.string().nullable(), error: z.string() }),
  }),
  z.object({
    type: z.literal('run-update'),
    runId: z.string(),
    workflowId: z.string(),
    status: z.string(),
    message: z.string(),
  }),
  z.object({ type: z.literal('error'), code: z.string(), message: z.string(), hint: z.string().optional() }),
]);
export type Reply = z.infer<typeof Reply>;

/** Streamed while a turn runs (front-ends may show typing, tool activity and proposals as they appear). */
export type ConversationEvent =
  | { type: 'text-delta'; text: string }
  | { type: 'tool-start'; id: string; name: string }
  | { type: 'tool-end'; id: string; name: string; isError: boolean }
  | { type: 'proposal'; proposal: ProposalView };

export type OnConversationEvent = (event: ConversationEvent) => void;
