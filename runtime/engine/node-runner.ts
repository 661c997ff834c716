import { z } from 'zod';
import { assertCredentialUsableByWorkflow } from '../../access/index.ts';
import type { ConnectorDefinition, ConnectorEnvironment, OAuth2TokenSource } from '../../connectors/index.ts';
import { invokeAction } from '../../connectors/index.ts';
import type { Sql } from '../../db/index.ts';
import type { Logger } from '../../lib/index.ts';
import { AppError, withStepSpan } from '../../lib/index.ts';
import { createConfiguredFileStore, type FileStore, parseFilesConfig } from '../files/index.ts';
import { findCoreNode, nodeFailure, type StepUsage } from '../nodes/index.ts';
import type { Outcome } from '../nodes/outcome.ts';
import { createWorkflowState } from '../store/workflow-state.ts';
import type { WorkflowNode } from '../workflow/document.ts';
import { type ExpressionScope, evaluateTemplate } from '../workflow/expressions.ts';
import { runAgentStep } from './agent-step.ts';
import { blockBudget, DEFAULT_BLOCK_MS, takeToken } from './connection-budget.ts';
import { graphForPath, incomingEdges } from './graph.ts';
import { idempotencyKeyFor } from './idempotency-key.ts';
import type { RunContext } from './run-context.ts';
import {
  createSandboxFileHost,
  DEFAULT_CODE_FILE_CALLS,
  DEFAULT_SANDBOX_LIMITS,
  runSandboxedCode,
  SandboxBusyError,
  type SandboxLimits,
} from './sandbox.ts';
import { isVisibleFrom, parentOf, stepKey } from './scope-path.ts';
import { toStepError } from './step-error.ts';
import { runnableSubworkflowTarget } from './subworkflow-target.ts';

export type NodeRunnerDeps = {
  sql: Sql;
  connectors: readonly ConnectorDefinition[];
  credentials?: { get(name: string): Promise<{ secret: unknown; type?: string } | undefined> } | undefined;
  connectorEnv: ConnectorEnvironment;
  /** Renews oauth2 credentials (see runtime/store/oauth2-tokens.ts); without it an expired token fails the step. */
  oauth2Tokens?: { for(name: string): OAuth2TokenSource } | undefined;
  logger: Logger;
  sandbox?: SandboxLimits | undefined;
  /** VMESH_PUBLIC_URL: where vendors reach this server's /hooks (triggers that register their own webhooks). */
  publicUrl?: string | undefined;
  /** Default per-attempt timeout of an action when the node sets none. */
  defaultTimeoutMs?: number | undefined;
  /** Where steps' files go (runtime/files); default: Postgres with the default size caps. */
  files?: FileStore | undefined;
};

const defaultFileStores = new WeakMap<Sql, FileStore>();

/** The deps' file store, or one in Postgres with the default caps (made once per pool). */
export function fileStoreOf(deps: Pick<NodeRunnerDeps, 'sql' | 'files'>): FileStore {
  if (deps.files) return deps.files;
  let store = defaultFileStores.get(deps.sql);
  if (!store) {
    store = createConfiguredFileStore(deps.sql, parseFilesConfig({}));
    defaultFileStores.set(deps.sql, store);
  }
  return store;
}

// Module-level schema: zod compiles an object schema on its first parse; an inline one would recompile per step.
const ForeachInput = z.object({ items: z.array(z.unknown()) });

/** The expression scope of a node at `path`: steps visible from it, and `item`/`index` inside a foreach body. */
export function expressionScope(ctx: RunContext, path: string): ExpressionScope {
  const visible = [...ctx.steps.values()]
    .filter((step) => isVisibleFrom(step.path, path))
    .sort((a, b) => a.path.length - b.path.length);
  const steps: Record<string, { output: unknown }> = {};
  for (const step of visible) {
    if (step.status === 'succeeded' || step.status === 'failed') steps[step.nodeId] = { output: step.output };
  }
  const scope: ExpressionScope = { trigger: ctx.run.trigger, steps, vars: ctx.document.vars ?? {} };
  const parent = parentOf(path);
  if (parent) {
    const foreach = ctx.steps.get(stepKey(parent.nodeId, parent.parent));
    const items = ForeachInput.safeParse(foreach?.input);
    scope.item = items.success ? items.data.items[parent.index] : undefined;
    scope.index = parent.index;
  }
  return scope;
}

/** Outputs of the finished steps on a node's incoming edges (what core.merge outputs). */
function incomingOutputs(ctx: RunContext, node: WorkflowNode, path: string): Record<string, unknown> {
  const output: Record<string, unknown> = {};
  for (const edge of incomingEdges(graphForPath(ctx.document, path), node.id)) {
    const source = ctx.steps.get(stepKey(edge.from, path));
    if (source && (source.status === 'succeeded' || source.status === 'failed'))
      output[edge.from] = source.output;
  }
  return output;
}

/**
 * The node did not run: it needs a sandbox process and all are busy, or its credential's rate budget is empty
 * (then `delayMs` says when a token is due); its job should give its slot back and come back later.
 */
export type Yielded = { kind: 'yield'; delayMs?: number; credential?: string };

/**
 * Runs one node once (one attempt) and says what happened; never throws for step failures. A core.code node that
 * finds every sandbox process busy does not wait for one in its job slot: it returns `yield`.
 */
export function runNode(
  deps: NodeRunnerDeps,
  ctx: RunContext,
  node: WorkflowNode,
  path: string,
  attempt: number,
  signal: AbortSignal,
): Promise<Outcome | Yielded> {
  const { run } = ctx;
  return withStepSpan(
    run,
    {
      runId: run.id,
      workflowId: run.workflowId,
      version: run.version,
      nodeId: node.id,
      uses: node.uses,
      path,
      attempt,
    },
    () => runNodeOnce(deps, ctx, node, path, attempt, signal),
    (outcome) => (outcome.kind === 'failed' ? outcome.error.code : undefined),
  );
}

async function runNodeOnce(
  deps: NodeRunnerDeps,
  ctx: RunContext,
  node: WorkflowNode,
  path: string,
  attempt: number,
  signal: AbortSignal,
): Promise<Outcome | Yielded> {
  let input: unknown = null;
  let cpuMicros: number | undefined;
  const withCpu = (outcome: Outcome | Yielded): Outcome | Yielded =>
    cpuMicros !== undefined && (outcome.kind === 'succeeded' || outcome.kind === 'failed')
      ? { ...outcome, usage: { ...outcome.usage, sandboxCpuMs: cpuMicros / 1_000 } }
      : outcome;
  try {
    const scope = expressionScope(ctx, path);
    const evaluate = (value: unknown) => evaluateTemplate(value, scope, { timeoutMs: 1_000 });
    const core = findCoreNode(node.uses);
    if (!core) {
      const setInput = (value: unknown) => {
        input = value;
      };
      return await runAction(deps, ctx, node, path, attempt, signal, setInput, evaluate);
    }
    const outcome = await core.run({
      node,
      evaluate,
      setInput: (value) => {
        input = value;
        return value;
      },
      incomingOutputs: () => incomingOutputs(ctx, node, path),
      runCode: (code, value, timeoutMs) => {
        const limits = { ...DEFAULT_SANDBOX_LIMITS, ...deps.sandbox };
        if (timeoutMs) limits.timeoutMs = timeoutMs;
        const store = fileStoreOf(deps);
        const step = { runId: ctx.run.id, nodeId: node.id, parentRunId: ctx.run.parentRunId };
        const fileLimits = {
          maxReadBytes: store.limits.maxCodeBytes,
          maxWriteBytes: store.limits.maxCodeBytes,
          maxCalls: DEFAULT_CODE_FILE_CALLS,
        };
        const files = {
          limits: fileLimits,
          open: (callSignal: AbortSignal) =>
            createSandboxFileHost(
              store.forStep(step, AbortSignal.any([signal, callSignal])),
              fileLimits,
              callSignal,
            ),
        };
        const onCpuTime = (micros: number) => {
          cpuMicros = (cpuMicros ?? 0) + micros;
        };
        return runSandboxedCode(code, value, limits, { failWhenBusy: true, files, onCpuTime });
      },
      subworkflowTarget: (ref) => runnableSubworkflowTarget(deps.sql, ctx.run, ref),
      runAgent: (agent) => runAgentStep({ deps, ctx, node, path, attempt, signal }, agent),
    });
    return withCpu(outcome);
  } catch (error) {
    if (error instanceof SandboxBusyError) return { kind: 'yield' };
    const stepError = toStepError(error);
    // Expressions, parameters and sandboxed code fail the same way every time: no point retrying them.
    if (!(error instanceof AppError) && node.uses.startsWith('core.')) stepError.retryable = false;
    return withCpu({ kind: 'failed', input, error: stepError });
  }
}

const LlmCredential = z.object({ provider: z.string().min(1).max(100) });
const LlmCallOutput = z.object({
  model: z.string().min(1).max(300),
  usage: z.object({ inputTokens: z.number().nonnegative(), outputTokens: z.number().nonnegative() }),
});

/** The model call of an llm.* action (its output's model and usage; the provider from its credential), if any. */
function llmUsageOf(connectorId: string, credential: unknown, output: unknown): StepUsage | undefined {
  if (connectorId !== 'llm') return undefined;
  const call = LlmCallOutput.safeParse(output);
  if (!call.success) return undefined;
  const provider = LlmCredential.safeParse(credential);
  const model = call.data.model.includes(':')
    ? call.data.model
    : `${provider.success ? provider.data.provider : 'unknown'}:${call.data.model}`;
  return {
    llm: { model, inputTokens: call.data.usage.inputTokens, outputTokens: call.data.usage.outputTokens },
  };
}

async function runAction(
  deps: NodeRunnerDeps,
  ctx: RunContext,
  node: WorkflowNode,
  path: string,
  attempt: number,
  signal: AbortSignal,
  setInput: (value: unknown) => void,
  evaluate: (value: unknown) => Promise<unknown>,
): Promise<Outcome | Yielded> {
  const [connectorId, actionKey] = node.uses.split('.');
  const connector = deps.connectors.find((candidate) => candidate.id === connectorId);
  const action = connector?.actions.find((candidate) => candidate.key === actionKey);
  if (!connector || !action) {
    throw nodeFailure(
      'E_UNKNOWN_ACTION',
      `"${node.uses}" is not an action of any installed connector.`,
      'Check the node\'s "uses" against the connector catalog; the workflow may need a newer version.',
    );
  }
  const input = await evaluate(node.with);
  setInput(input);
  return invokeStepAction(deps, ctx, {
    connector,
    action,
    nodeId: node.id,
    uses: node.uses,
    credential: node.credential,
    input,
    attempt,
    signal,
    timeoutMs: node.timeoutMs,
    idempotencyKey: idempotencyKeyFor(ctx.run.id, node.id, path),
  });
}

export type StepActionCall = {
  connector: ConnectorDefinition;
  action: ConnectorDefinition['actions'][number];
  /** The node the call is made for (credential access is checked for it). */
  nodeId: string;
  uses: string;
  credential: string | undefined;
  /** The evaluated parameters (never evaluated again: they may hold model-written text). */
  input: unknown;
  attempt: number;
  signal: AbortSignal;
  timeoutMs: number | undefined;
  idempotencyKey: string;
};

/**
 * Calls a connector action for a step: the credential checked for the workflow and decrypted, its rate budget
 * taken, the call under the step's timeout. Used by action nodes and by core.agent's tools.
 */
export async function invokeStepAction(
  deps: NodeRunnerDeps,
  ctx: RunContext,
  call: StepActionCall,
): Promise<Outcome | Yielded> {
  const { connector, action, input, attempt, signal } = call;
  const node = { id: call.nodeId, uses: call.uses, credential: call.credential, timeoutMs: call.timeoutMs };
  let credential: unknown;
  let credentialType: string | undefined;
  if (node.credential) {
    // Before decrypting: a credential the workflow's owner may not use never reaches the step.
    await assertCredentialUsableByWorkflow(deps.sql, ctx.run.workflowId, node.credential, node.id);
    const stored = await deps.credentials?.get(node.credential);
    if (!stored) {
      throw nodeFailure(
        'E_CREDENTIAL',
        `The credential "${node.credential}" used by node "${node.id}" does not exist.`,
        `Store it with \`vmesh credentials set ${node.credential} --type ${connector.credential?.type ?? connector.id}\`.`,
      );
    }
    credential = stored.secret;
    credentialType = stored.type;
    // After the checks above (a step that fails anyway takes no token), before anything reaches the vendor.
    const budget = await takeToken(
      deps.sql,
      { connectorId: connector.id, credential: node.credential },
      connector.rateLimit,
    );
    if (!budget.granted) return { kind: 'yield', delayMs: budget.waitMs, credential: node.credential };
  }
  const timeoutMs = node.timeoutMs ?? deps.defaultTimeoutMs ?? 300_000;
  const timeout = AbortSignal.timeout(timeoutMs);
  const combined = AbortSignal.any([signal, timeout]);
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () =>
      reject(
        // A cancelled run (see cancellations.ts) says so; a timeout, or a worker shutting down, is a timeout.
        signal.aborted && signal.reason instanceof AppError
          ? signal.reason
          : new AppError({
              code: 'E_TIMEOUT',
              message: `${node.uses} did not finish within ${timeoutMs} ms.`,
              retryable: true,
              hint: "Raise the node's timeoutMs if the service is just slow.",
            }),
      );
    combined.addEventListener('abort', onAbort, { once: true });
  });
  try {
    const output = await Promise.race([
      invokeAction({
        connector,
        action,
        input,
        credential,
        ...(credentialType === undefined ? {} : { credentialType }),
        env: {
          ...deps.connectorEnv,
          workflowState: createWorkflowState(deps.sql, ctx.run.workflowId),
          ...(node.credential ? { reportRateLimit: budgetReporter(deps, connector, node.credential) } : {}),
          ...(credentialType === 'oauth2' && node.credential && deps.oauth2Tokens
            ? { tokens: deps.oauth2Tokens.for(node.credential) }
            : {}),
        },
        signal: combined,
        attempt,
        idempotencyKey: call.idempotencyKey,
        node: { id: node.id, runId: ctx.run.id },
        logger: deps.logger,
        files: fileStoreOf(deps).forStep(
          { runId: ctx.run.id, nodeId: node.id, parentRunId: ctx.run.parentRunId },
          combined,
        ),
      }),
      aborted,
    ]);
    // Redacted with every other node's output by checkOutput, before anything sees it.
    const usage = llmUsageOf(connector.id, credential, output);
    return { kind: 'succeeded', input, output: output ?? null, ...(usage ? { usage } : {}) };
  } catch (error) {
    const stepError = toStepError(error);
    if (node.credential && (stepError.status === 429 || stepError.code === 'E_RATE_LIMITED')) {
      const key = { connectorId: connector.id, credential: node.credential };
      await blockBudget(deps.sql, key, stepError.retryAfterMs ?? DEFAULT_BLOCK_MS, connector.rateLimit);
    }
    return { kind: 'failed', input, error: stepError };
  } finally {
    if (onAbort) combined.removeEventListener('abort', onAbort);
    aborted.catch(() => {});
  }
}

/** Holds back a credential whose vendor said, on a successful answer, that its limit is spent until a reset. */
function budgetReporter(
  deps: NodeRunnerDeps,
  connector: ConnectorDefinition,
  credential: string,
): (waitMs: number) => Promise<void> {
  return (waitMs) =>
    blockBudget(deps.sql, { connectorId: connector.id, credential }, waitMs, connector.rateLimit);
}
