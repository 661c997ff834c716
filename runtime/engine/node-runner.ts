import { z } from 'zod';
import { invokeAction } from '../../connectors/invoke.ts';
import type { ConnectorDefinition, ConnectorEnvironment } from '../../connectors/sdk/index.ts';
import type { Sql } from '../../db/index.ts';
import { AppError } from '../../lib/errors.ts';
import type { Logger } from '../../lib/logger.ts';
import { findWorkflowByIdOrName } from '../store/workflow-store.ts';
import type { WorkflowNode } from '../workflow/document.ts';
import { type ExpressionScope, evaluateTemplate } from '../workflow/expressions.ts';
import { graphForPath, incomingEdges } from './graph.ts';
import { idempotencyKeyFor } from './idempotency-key.ts';
import type { Outcome } from './outcome.ts';
import type { RunContext } from './run-context.ts';
import { DEFAULT_SANDBOX_LIMITS, runSandboxedCode, type SandboxLimits } from './sandbox.ts';
import { isVisibleFrom, parentOf, stepKey } from './scope-path.ts';
import { toStepError } from './step-error.ts';

export type NodeRunnerDeps = {
  sql: Sql;
  connectors: readonly ConnectorDefinition[];
  credentials?: { get(name: string): Promise<{ secret: unknown } | undefined> } | undefined;
  connectorEnv: ConnectorEnvironment;
  logger: Logger;
  sandbox?: SandboxLimits | undefined;
  /** Default per-attempt timeout of an action when the node sets none. */
  defaultTimeoutMs?: number | undefined;
};

/**
 * Core nodes that only compute from their inputs: the engine may run a chain of them before one commit.
 * (core.respond ends such a chain: its response is committed before anything after it runs.)
 */
export const PURE_CORE_NODES: ReadonlySet<string> = new Set([
  'core.if',
  'core.switch',
  'core.transform',
  'core.merge',
  'core.code',
  'core.respond',
]);

// Module-level schemas: zod compiles an object schema on its first parse; inline ones recompile per step.
const ForeachInput = z.object({ items: z.array(z.unknown()) });
const SwitchCases = z.record(z.string(), z.unknown());

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

function truthy(value: unknown): boolean {
  if (Array.isArray(value)) return value.length > 0;
  return Boolean(value);
}

function nodeFailure(code: string, message: string, hint: string): AppError {
  return new AppError({ code, message, hint, retryable: false });
}

/** Runs one node once (one attempt) and says what happened; never throws for step failures. */
export async function runNode(
  deps: NodeRunnerDeps,
  ctx: RunContext,
  node: WorkflowNode,
  path: string,
  attempt: number,
  signal: AbortSignal,
): Promise<Outcome> {
  let input: unknown = null;
  try {
    const scope = expressionScope(ctx, path);
    const evaluate = (value: unknown) => evaluateTemplate(value, scope, { timeoutMs: 1_000 });
    switch (node.uses) {
      case 'core.if': {
        input = await evaluate(node.with);
        const result = truthy((input as { condition?: unknown }).condition);
        return { kind: 'succeeded', input, output: { result }, branch: String(result) };
      }
      case 'core.switch': {
        const cases = SwitchCases.parse(node.with.cases ?? {});
        const evaluated: Record<string, unknown> = {};
        let taken = 'default';
        for (const [name, condition] of Object.entries(cases)) {
          evaluated[name] = await evaluate(condition);
          if (truthy(evaluated[name])) {
            taken = name;
            break;
          }
        }
        input = { cases: evaluated };
        return { kind: 'succeeded', input, output: { case: taken }, branch: taken };
      }
      case 'core.transform': {
        input = await evaluate(node.with);
        return { kind: 'succeeded', input, output: (input as { value?: unknown }).value ?? null };
      }
      case 'core.merge': {
        const graph = graphForPath(ctx.document, path);
        const output: Record<string, unknown> = {};
        for (const edge of incomingEdges(graph, node.id)) {
          const source = ctx.steps.get(stepKey(edge.from, path));
          if (source && (source.status === 'succeeded' || source.status === 'failed'))
            output[edge.from] = source.output;
        }
        return { kind: 'succeeded', input: null, output };
      }
      case 'core.code': {
        const code = z.string().parse(node.with.code);
        input = { input: await evaluate(node.with.input ?? null) };
        const limits = { ...DEFAULT_SANDBOX_LIMITS, ...deps.sandbox };
        if (node.timeoutMs) limits.timeoutMs = Math.min(node.timeoutMs, 30_000);
        const output = await runSandboxedCode(code, (input as { input: unknown }).input, limits);
        return { kind: 'succeeded', input, output };
      }
      case 'core.respond': {
        input = await evaluate(node.with);
        const respond = z
          .object({
            status: z.number().int().min(100).max(599).default(200),
            body: z.unknown(),
            headers: z.record(z.string(), z.string()).optional(),
          })
          .parse(input);
        return { kind: 'succeeded', input, output: respond, respond };
      }
      case 'core.delay': {
        input = await evaluate(node.with);
        const delay = z
          .object({ ms: z.number().min(0).optional(), until: z.string().optional() })
          .parse(input);
        const until = delay.until ? new Date(delay.until) : new Date(Date.now() + (delay.ms ?? 0));
        if (Number.isNaN(until.getTime())) {
          throw nodeFailure(
            'E_PARAMS',
            `core.delay: "until" is not a valid time.`,
            'Give an ISO 8601 time with a zone.',
          );
        }
        return { kind: 'wait', input, wait: { type: 'delay', until } };
      }
      case 'core.approval': {
        input = await evaluate(node.with);
        const approval = z
          .object({ message: z.string(), approvers: z.array(z.string()).default([]) })
          .parse(input);
        return {
          kind: 'wait',
          input,
          wait: { type: 'approval', message: approval.message, approvers: approval.approvers },
        };
      }
      case 'core.subworkflow': {
        input = await evaluate(node.with);
        const sub = z.object({ workflow: z.string().min(1), input: z.unknown().optional() }).parse(input);
        const target = await findWorkflowByIdOrName(deps.sql, sub.workflow);
        if (!target) {
          throw nodeFailure(
            'E_SUBWORKFLOW',
            `core.subworkflow: no workflow with id or name "${sub.workflow}".`,
            'Set "workflow" to the id or exact name of a stored workflow.',
          );
        }
        return {
          kind: 'wait',
          input,
          wait: { type: 'subworkflow', workflow: target.id, input: sub.input ?? {} },
        };
      }
      case 'core.foreach': {
        input = await evaluate(node.with);
        const parsed = z
          .object({ items: z.unknown(), concurrency: z.number().int().min(1).max(1000).default(1) })
          .parse(input);
        if (!Array.isArray(parsed.items)) {
          throw nodeFailure(
            'E_PARAMS',
            `core.foreach: "items" evaluated to ${parsed.items === null ? 'null' : typeof parsed.items}, not a list.`,
            'Make "items" an expression that yields an array, e.g. "{{ trigger.body.rows }}".',
          );
        }
        if (parsed.items.length === 0) return { kind: 'succeeded', input, output: [] };
        return {
          kind: 'wait',
          input,
          wait: { type: 'foreach', items: parsed.items, concurrency: parsed.concurrency },
        };
      }
      default:
        return await runAction(
          deps,
          ctx,
          node,
          path,
          attempt,
          signal,
          (value) => {
            input = value;
          },
          evaluate,
        );
    }
  } catch (error) {
    const stepError = toStepError(error);
    // Expressions, parameters and sandboxed code fail the same way every time: no point retrying them.
    if (!(error instanceof AppError) && node.uses.startsWith('core.')) stepError.retryable = false;
    return { kind: 'failed', input, error: stepError };
  }
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
): Promise<Outcome> {
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
  let credential: unknown;
  if (node.credential) {
    const stored = await deps.credentials?.get(node.credential);
    if (!stored) {
      throw nodeFailure(
        'E_CREDENTIAL',
        `The credential "${node.credential}" used by node "${node.id}" does not exist.`,
        `Store it with \`vmesh credentials set ${node.credential} --type ${connector.credential?.type ?? connector.id}\`.`,
      );
    }
    credential = stored.secret;
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
        env: deps.connectorEnv,
        signal: combined,
        attempt,
        idempotencyKey: idempotencyKeyFor(ctx.run.id, node.id, path),
        node: { id: node.id, runId: ctx.run.id },
        logger: deps.logger,
      }),
      aborted,
    ]);
    return { kind: 'succeeded', input, output: output ?? null };
  } catch (error) {
    return { kind: 'failed', input, error: toStepError(error) };
  } finally {
    if (onAbort) combined.removeEventListener('abort', onAbort);
    aborted.catch(() => {});
  }
}
