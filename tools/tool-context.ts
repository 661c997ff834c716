import type { z } from 'zod';
import type { AuditBy } from '../access/index.ts';
import type { AlertCondition, RunStatus, StepStatus, WorkflowDocument } from '../runtime/index.ts';
import type { PROPOSAL_KINDS } from './proposal-kinds.ts';

/**
 * The ports a tool may use. The conversation service wires them to the real runtime, connectors and
 * stores; each is small so a front-end (MCP, evals) can wire the same tools.
 */

export type CatalogEntry = {
  uses: string;
  kind: string;
  title: string;
  description: string;
  effect: 'pure' | 'read' | 'write';
  /** Whether a retry with the same idempotency key has the effect of one call; undefined for core nodes. */
  idempotent?: boolean | undefined;
  /** Where the step reads or writes, in the action's words, from its `with` as written. */
  describeTarget?: ((withValue: Record<string, unknown>) => string | null) | undefined;
  input: z.ZodType;
  output?: z.ZodType | undefined;
  credentialType?: string | undefined;
  /** Other credential types it takes instead (http.request: every auth style). */
  credentialAlternatives?: readonly string[] | undefined;
  /** `imported`: the connector came from a third party's document (OpenAPI), so its texts are untrusted. */
  origin?: 'builtin' | 'imported' | undefined;
};

export type CatalogTriggerEntry = {
  type: string;
  title: string;
  description: string;
  sample?: unknown;
  /** The connector that provides it; undefined for core triggers. */
  connectorId?: string | undefined;
  /** The credential type `trigger.credential` must name (an IMAP login for `email.received`), or undefined. */
  credentialType?: string | undefined;
  /** How a connector trigger is started. */
  delivery?: 'webhook' | 'event' | 'poll' | undefined;
  /** The events to pick at the sender (e.g. GitHub's "Issues"). */
  senderEvents?: readonly string[] | undefined;
  /** It registers itself at the sender on activation. */
  registersItself?: boolean | undefined;
};

export type CatalogPort = {
  lookupAction(uses: string): CatalogEntry | undefined;
  actions(): CatalogEntry[];
  triggers(): CatalogTriggerEntry[];
};

export type ValidationIssue = { code: string; path: string; message: string; hint?: string | undefined };

export type ValidationReport = {
  valid: boolean;
  errors: ValidationIssue[];
  warnings: ValidationIssue[];
  /** The parsed document (defaults applied) when valid. */
  document?: WorkflowDocument | undefined;
};

export type ValidatePort = (
  document: unknown,
  options: { knownCredentials: { name: string; type: string }[] },
) => ValidationReport;

export type DocHit = {
  id: string;
  kind: string;
  score: number;
  snippet: string;
  title?: string | undefined;
  /** Written by a third party (an imported OpenAPI document): shown to the model only as untrusted data. */
  thirdParty?: boolean | undefined;
};

export type DocsPort = {
  search(query: string, options: { k: number }): Promise<DocHit[]>;
};

export type WorkflowSummary = {
  id: string;
  name: string;
  active: boolean;
  currentVersion: number;
  triggerType: string;
  conversationRef: string | null;
};

export type WorkflowDetail = WorkflowSummary & {
  document: WorkflowDocument;
  contentHash: string;
  /** A poll trigger's progress and failures, a self-registered subscription's state (runtime TriggerHealth). */
  triggerHealth?: unknown;
};

export type WorkflowsPort = {
  list(): Promise<WorkflowSummary[]>;
  get(id: string): Promise<WorkflowDetail | undefined>;
  /** Stores a new workflow (version 1) and activates it. Called only on approval. */
  create(
    document: WorkflowDocument,
    meta: { conversationRef: string | null; ownerRef: string; ownerId?: string | undefined },
  ): Promise<{ id: string; version: number }>;
  /** Stores a new immutable version and makes it current. Called only on approval. */
  addVersion(id: string, document: WorkflowDocument): Promise<{ version: number }>;
  /** Its triggers stop starting runs (pause_workflow, immediate). */
  deactivate(id: string, by: AuditBy): Promise<void>;
  /** Its triggers start runs again. Called only on approval of an `activate` proposal. */
  activate(id: string, by: AuditBy): Promise<void>;
  /** Deleted: it stops and leaves the lists; runs keep their records. Called only on approval of a `delete` proposal. */
  remove(id: string, by: AuditBy): Promise<void>;
  /** The document of one stored version, or undefined when there is no such version (rollback_workflow). */
  version(id: string, version: number): Promise<WorkflowDocument | undefined>;
  /**
   * The workflow a core.subworkflow `workflow` value (an id or exact name) names, resolved as approval will store
   * it: for a new workflow of `owner` (the proposer), or for a new version of `workflowId` (its owner). Or why
   * there is none.
   */
  subworkflowTarget(
    ref: string,
    owner: { ownerId: string; ownerRef: string } | { workflowId: string },
  ): Promise<SubworkflowTargetLookup>;
};

export type SubworkflowTargetLookup =
  | { found: true; id: string; name: string; active: boolean }
  | { found: false; problem: 'missing' | 'ambiguous' | 'forbidden' };

export type StepView = {
  nodeId: string;
  path: string;
  status: StepStatus;
  attempt: number;
  input: unknown;
  output: unknown;
  error: unknown;
};

export type RunView = {
  id: string;
  workflowId: string;
  version: number;
  status: RunStatus;
  trigger: unknown;
  error: unknown;
  createdAt: string;
  steps: StepView[];
};

export type RunsPort = {
  get(runId: string): Promise<RunView | undefined>;
  recent(workflowId: string, limit: number): Promise<Omit<RunView, 'steps' | 'trigger'>[]>;
  /** Resumes a failed run from its failed step, or reruns it from its trigger data, on the workflow's current version. */
  resume(runId: string, mode: 'from-failed-step' | 'rerun'): Promise<{ runId: string; status: RunStatus }>;
  /** Starts a run of the workflow's current version with `input` as its trigger data (run_workflow). */
  start(workflowId: string, input: unknown, by: AuditBy): Promise<{ runId: string; status: RunStatus }>;
  /** Cancels a queued, running or waiting run and its child runs. */
  cancel(runId: string, by: AuditBy): Promise<{ status: RunStatus }>;
};

export type CredentialsPort = {
  /** Names and types only: secrets never reach the agent. */
  list(): Promise<{ name: string; type: string }[]>;
};

/** Evaluates every `{{ }}` in a value against a scope (the runtime's evaluateTemplate). */
export type EvaluatePort = (value: unknown, scope: Record<string, unknown>) => Promise<unknown>;

/** new/change/fix carry a document; activate (resume a paused workflow) and delete carry none. */
export type ProposalKind = (typeof PROPOSAL_KINDS)[number];

export type NewProposal = {
  kind: ProposalKind;
  summary: string;
  document: WorkflowDocument | null;
  workflowId: string | null;
  runId: string | null;
  baseVersion: number | null;
  details: Record<string, unknown>;
};

export type CreatedProposal = {
  id: string;
  kind: ProposalKind;
  status: 'pending';
  documentHash: string | null;
};

export type ProposalsPort = {
  create(proposal: NewProposal): Promise<CreatedProposal>;
};

/** An alert rule as the agent sees it (never its signing secret). */
export type AlertRuleSummary = {
  id: string;
  name: string;
  workflowId: string | null;
  condition: AlertCondition;
  /** `conversation` (the workflow's chat), `this conversation`, `slack:C…`, `webhook`, `email` … */
  destination: string;
  cooldownMinutes: number;
  enabled: boolean;
  openAlerts: number;
};

/** Alert rules, scoped to the person talking: they see and change only what they could through the API. */
export type AlertsPort = {
  list(filter: {
    workflowId?: string | undefined;
    conversationId: string | null;
  }): Promise<AlertRuleSummary[]>;
  /** A rule on `workflowId` that tells `conversationId` (the chat the agent is in). */
  createForConversation(input: {
    workflowId: string;
    name: string;
    condition: AlertCondition;
    cooldownMinutes: number;
    conversationId: string;
  }): Promise<AlertRuleSummary>;
  remove(id: string): Promise<boolean>;
};

export type ToolContext = {
  catalog: CatalogPort;
  validate: ValidatePort;
  evaluate: EvaluatePort;
  docs: DocsPort | undefined;
  workflows: WorkflowsPort;
  runs: RunsPort | undefined;
  credentials: CredentialsPort;
  proposals: ProposalsPort;
  /** Absent where no alert store is wired (and for the system's own turns). */
  alerts?: AlertsPort | undefined;
  /** Who is talking and where; proposals are approvable by these actors. */
  /** `userId`: the person talking (proposals' owner-to-be). */
  conversation: { id: string | null; actor: string; userId: string };
  signal?: AbortSignal | undefined;
};
