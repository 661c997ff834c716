import type { Principal } from '../access/index.ts';
import type { RunStatus, StepStatus } from '../agent/index.ts';
import type { WorkflowDocument } from '../runtime/index.ts';

export type WorkflowSummary = {
  id: string;
  name: string;
  description?: string | undefined;
  /** `active` workflows run on their trigger and are exposed as MCP tools. */
  status: string;
  triggerType: string;
};
export type WorkflowDetail = WorkflowSummary & { document: WorkflowDocument };

/** A short view of a run's progress, as bots show it. */
/** A file a step output holds (its FileRef), with the URL that downloads it for people who may read the run. */
export type RunStepFile = { id: string; name: string; contentType: string; size: number; href: string };

/** One tool call of a core.agent step (an MCP listing too), as the run page lists it under the step. */
export type AgentCallView = {
  seq: number;
  kind: 'tool' | 'listing';
  name: string;
  status: 'succeeded' | 'failed' | 'rejected' | 'waiting';
  /** From its start to its result (without the wait for a person); undefined while it waits or on old records. */
  durationMs?: number | undefined;
  /** Short JSON of its input and its result (the run API has them whole). */
  input?: string | undefined;
  output?: string | undefined;
  /** When the call waited for a person: the decision (pending while it waits) and how long the wait took. */
  approval?: { decision: 'approved' | 'rejected' | 'pending'; waitedMs?: number | undefined } | undefined;
};

/** A step waiting for a person (core.approval, or a core.agent write call): the question and the files it shows. */
export type StepApprovalView = { id: string; message: string; files: RunStepFile[] };

export type RunStepView = {
  id: string;
  /** The node id and the foreach path this step ran at ('' outside a foreach). */
  nodeId?: string | undefined;
  path?: string | undefined;
  status: StepStatus;
  /** Attempts made (retries included); 0 for a step that never started. */
  attempt?: number | undefined;
  startedAt?: string | undefined;
  finishedAt?: string | undefined;
  /** From start to finish, once finished. */
  durationMs?: number | undefined;
  /** The step's output as the run view holds it (over 16 KiB: a { truncated, bytes, href } marker). */
  output?: unknown;
  error?: string | undefined;
  /** The failure's code and what to change (the validator's or the connector's hint). */
  errorCode?: string | undefined;
  errorHint?: string | undefined;
  files?: RunStepFile[] | undefined;
  /** core.agent: its tool calls, in order. */
  agentCalls?: AgentCallView[] | undefined;
  /** A pending approval of this step. */
  approval?: StepApprovalView | undefined;
};

export type RunSummary = {
  id: string;
  workflowId: string;
  workflowName?: string | undefined;
  /** The workflow version it ran. */
  version?: number | undefined;
  triggerType?: string | undefined;
  status: RunStatus;
  startedAt?: string | undefined;
  finishedAt?: string | undefined;
};
export type RunDetail = RunSummary & {
  steps: RunStepView[];
  output?: unknown;
  error?: string | undefined;
  errorCode?: string | undefined;
  errorHint?: string | undefined;
  /** The workflow's current version (undefined once it is deleted): a failed run may resume on it. */
  latestVersion?: number | undefined;
};

/** The filters and page of a run listing (see runtime's RunListQuery). */
export type RunListFilter = {
  workflowId?: string | undefined;
  status?: RunStatus | undefined;
  from?: Date | undefined;
  to?: Date | undefined;
  limit: number;
  offset: number;
};

/** Read access to workflows and runs, plus starting a run: what the web pages and the MCP server show and call. */
export type WorkflowPort = {
  listWorkflows(): Promise<WorkflowSummary[]>;
  getWorkflow(id: string): Promise<WorkflowDetail | undefined>;
  listRuns(filter: { workflowId?: string | undefined; limit?: number | undefined }): Promise<RunSummary[]>;
  /** One page of runs across the workflows the viewer may see, newest first; nextOffset null on the last page. */
  listRunPage(filter: RunListFilter): Promise<{ runs: RunSummary[]; nextOffset: number | null }>;
  getRun(id: string): Promise<RunDetail | undefined>;
  /** `by`: the person starting it, for the audit log (`actor` as recorded, `via` the front-end). */
  startRun(
    workflowId: string,
    input: unknown,
    by?: { actor: string; via: 'web' | 'slack' | 'discord' | 'mcp' },
  ): Promise<{ runId: string }>;
  /** Resolves when the run reaches a terminal status (or `signal` aborts). */
  waitForRun(runId: string, signal?: AbortSignal): Promise<RunDetail>;
  /**
   * The same port as `viewer` sees it: only workflows and runs they may see (private ones: owner and admins),
   * reading needs `workflow.read` / `run.read`, starting a run `run.start` (403). Front-ends that act for a
   * person (/mcp, /chat/api) use this one.
   */
  forViewer(viewer: Principal): WorkflowPort;
};
