import type { z } from 'zod';
import type { WorkflowDocument } from '../runtime/workflow/document.ts';

/** Who is talking, on which platform. `id` is stable per person and platform (e.g. `slack:T1:U2`). */
export type BotActor = {
  platform: 'web' | 'slack' | 'discord' | 'mcp';
  id: string;
  displayName?: string | undefined;
};

/** A short view of a run's progress, as bots show it. */
export type RunStepView = { id: string; status: string; error?: string | undefined };

/**
 * What the conversation service answers. Bots render these and nothing else; a reply type they do not
 * know is shown through its `text`/`message` field, so new reply kinds degrade instead of breaking a bot.
 */
export type BotReply =
  | { type: 'text'; text: string }
  | {
      type: 'proposal';
      proposalId: string;
      kind: 'workflow' | 'fix';
      title: string;
      summary: string;
      document: WorkflowDocument;
      workflowId?: string | undefined;
    }
  | {
      type: 'run_update';
      runId: string;
      workflowId?: string | undefined;
      status: string;
      steps?: RunStepView[] | undefined;
      text?: string | undefined;
    }
  | { type: 'workflow_activated'; workflowId: string; name: string; text?: string | undefined }
  | { type: 'error'; message: string; hint?: string | undefined };

/** Streamed while a turn is in progress (before the final replies). */
export type BotEvent =
  | { type: 'text_delta'; text: string }
  | { type: 'tool'; name: string; status: 'started' | 'finished' | 'failed' }
  | { type: 'reply'; reply: BotReply };

export type MessageInput = { threadKey: string; actor: BotActor; text: string };
export type DecisionInput = { proposalId: string; decision: 'approve' | 'reject'; actor: BotActor };

/** The one thing a bot calls: structurally the agent's conversation service, so wiring is an assignment. */
export type ConversationPort = {
  handleMessage(input: MessageInput, onEvent?: (event: BotEvent) => void): Promise<BotReply[]>;
  decide(input: DecisionInput): Promise<BotReply[]>;
  /** Proposals still waiting for a person (self-healing fixes included), newest first, as renderable replies. */
  pendingProposals?(): Promise<BotReply[]>;
  /** The agent's tools bound to one MCP session's thread and actor (exposed by the MCP server when present). */
  agentTools?(session: { threadKey: string; actor: BotActor }): readonly AgentToolEntry[];
};

/** An agent tool as the agent hands it over for MCP: zod input, handler whose errors are results. */
export type AgentToolEntry = {
  name: string;
  description: string;
  inputSchema: z.ZodType;
  annotations: { readOnlyHint: boolean; destructiveHint: boolean; idempotentHint: boolean };
  handler(args: unknown): Promise<{ content: { type: 'text'; text: string }[]; isError: boolean }>;
};
