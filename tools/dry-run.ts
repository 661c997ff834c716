import { describeError } from '../lib/index.ts';
import type { WorkflowDocument, WorkflowNode } from '../runtime/index.ts';
import { findCoreNode } from '../runtime/index.ts';
import { sampleFromSchema } from './sample-from-schema.ts';
import { type SimulatedTrigger, simulateDelivery } from './simulate-delivery.ts';
import type { CatalogPort, EvaluatePort } from './tool-context.ts';
import { shrink } from './untrusted.ts';

export type DryRunStep = {
  id: string;
  uses: string;
  /** ran: evaluated for real (pure core nodes); simulated: an action's output made up from its output schema;
   *  would-wait: delay/approval; skipped: a branch not taken; failed: an expression or parameter failed. */
  status: 'ran' | 'simulated' | 'would-wait' | 'skipped' | 'failed';
  input?: unknown;
  output?: unknown;
  branch?: string;
  error?: string;
  warnings?: string[];
};

export type DryRunReport = { ok: boolean; steps: DryRunStep[]; output: unknown };

/** Which trigger start a dry run simulated (without its data, which the steps show). */
export type DryRunTrigger = Omit<SimulatedTrigger, 'data'>;

type Edge = { from: string; to: string; branch?: string | undefined };
type Scope = {
  trigger: unknown;
  steps: Record<string, { output: unknown }>;
  vars: unknown;
  item?: unknown;
  index?: number;
};

function order(nodes: readonly WorkflowNode[], edges: readonly Edge[]): WorkflowNode[] {
  const indegree = new Map(nodes.map((node) => [node.id, 0]));
  for (const edge of edges) indegree.set(edge.to, (indegree.get(edge.to) ?? 0) + 1);
  const queue = nodes.filter((node) => (indegree.get(node.id) ?? 0) === 0);
  const out: WorkflowNode[] = [];
  while (queue.length > 0) {
    const node = queue.shift()!;
    out.push(node);
    for (const edge of edges.filter((e) => e.from === node.id)) {
      const left = (indegree.get(edge.to) ?? 0) - 1;
      indegree.set(edge.to, left);
      const target = nodes.find((n) => n.id === edge.to);
      if (left === 0 && target) queue.push(target);
    }
  }
  return out;
}

/**
 * A dry run of a document on sample trigger data. Pure core nodes run for real, every expression is evaluated,
 * actions that reach the outside world are not called: their outputs are simulated from their output schemas.
 * Reports what each step would do.
 */
export async function dryRunWorkflow(
  document: WorkflowDocument,
  triggerData: unknown,
  deps: { catalog: CatalogPort; evaluate: EvaluatePort },
): Promise<DryRunReport> {
  const steps: DryRunStep[] = [];
  const scope: Scope = { trigger: triggerData, steps: {}, vars: document.vars ?? {} };
  const ok = await runGraph(document.nodes, document.edges ?? [], scope, steps, deps, '');
  const respond = steps.find((step) => step.uses === 'core.respond' && step.status === 'ran');
  const ran = steps.filter((step) => step.status !== 'skipped' && step.status !== 'failed');
  const leaves = ran.filter((step) => !(document.edges ?? []).some((edge) => edge.from === step.id));
  const output = respond
    ? (respond.output as { body?: unknown } | undefined)?.body
    : leaves.length === 1
      ? leaves[0]?.output
      : Object.fromEntries(leaves.map((leaf) => [leaf.id, leaf.output]));
  return {
    ok,
    steps: steps.map((step) => ({ ...step, input: shrink(step.input), output: shrink(step.output) })),
    output: shrink(output),
  };
}

async function runGraph(
  nodes: readonly WorkflowNode[],
  edges: readonly Edge[],
  scope: Scope,
  steps: DryRunStep[],
  deps: { catalog: CatalogPort; evaluate: EvaluatePort },
  prefix: string,
): Promise<boolean> {
  const taken = new Map<string, { skipped: boolean; branch?: string | undefined }>();
  let allOk = true;
  for (const node of order(nodes, edges)) {
    const incoming = edges.filter((edge) => edge.to === node.id);
    const live = incoming.filter((edge) => {
      const source = taken.get(edge.from);
      if (!source || source.skipped) return false;
      return edge.branch === undefined || edge.branch === source.branch;
    });
    const stepId = `${prefix}${node.id}`;
    if (incoming.length > 0 && live.length === 0) {
      taken.set(node.id, { skipped: true });
      steps.push({ id: stepId, uses: node.uses, status: 'skipped' });
      continue;
    }
    const step = await runNode(node, scope, deps, steps, stepId);
    steps.push(step);
    if (step.status === 'failed') {
      allOk = false;
      if (node.onError === 'continue') {
        taken.set(node.id, { skipped: false });
        scope.steps[node.id] = { output: null };
        continue;
      }
      if (node.onError === 'route') {
        taken.set(node.id, { skipped: false, branch: 'error' });
        scope.steps[node.id] = { output: { error: step.error } };
        continue;
      }
      break;
    }
    taken.set(node.id, { skipped: false, branch: step.branch });
    scope.steps[node.id] = { output: step.output };
  }
  return allOk;
}

async function runNode(
  node: WorkflowNode,
  scope: Scope,
  deps: { catalog: CatalogPort; evaluate: EvaluatePort },
  steps: DryRunStep[],
  stepId: string,
): Promise<DryRunStep> {
  const base = { id: stepId, uses: node.uses };
  let input: Record<string, unknown>;
  try {
    input = (await deps.evaluate(node.with ?? {}, scope as unknown as Record<string, unknown>)) as Record<
      string,
      unknown
    >;
  } catch (error) {
    return { ...base, status: 'failed', error: `an expression failed: ${describeError(error)}` };
  }
  const entry = deps.catalog.lookupAction(node.uses);
  const warnings: string[] = [];
  if (entry) {
    const parsed = entry.input.safeParse(input);
    if (!parsed.success) {
      warnings.push(
        `with the sample data the parameters do not fit ${node.uses}: ${parsed.error.issues
          .slice(0, 5)
          .map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`)
          .join('; ')}`,
      );
    }
  } else {
    return { ...base, status: 'failed', input, error: `unknown action "${node.uses}"` };
  }
  const core = findCoreNode(node.uses);
  if (core) {
    const simulation = await core.simulate(input, {
      body: node.do,
      steps: scope.steps,
      runBody: async (item, index) => {
        const body = node.do ?? { nodes: [], edges: [] };
        const inner: Scope = { ...scope, steps: { ...scope.steps }, item, index };
        const innerSteps: DryRunStep[] = [];
        const ok = await runGraph(
          body.nodes,
          body.edges ?? [],
          inner,
          innerSteps,
          deps,
          `${stepId}[${index}].`,
        );
        steps.push(...innerSteps);
        return { ok, output: innerSteps.filter((s) => s.status !== 'skipped').at(-1)?.output ?? null };
      },
    });
    if (simulation.status !== 'simulated') {
      const { warnings: more = [], ...rest } = simulation;
      const all = [...warnings, ...more];
      return { ...base, input, ...rest, ...(all.length ? { warnings: all } : {}) };
    }
    // Not executed; what the node says about that (core.code: the files it would read and write) is passed on.
    warnings.push(...(simulation.warnings ?? []));
  }
  // Everything else (connector actions, and core nodes that simulate as not executed) is not called in a dry run.
  return {
    ...base,
    status: 'simulated',
    input,
    output: sampleFromSchema(entry.output),
    ...(entry.effect === 'write'
      ? { warnings: [...warnings, 'writes to the outside world: not called in a dry run'] }
      : warnings.length
        ? { warnings }
        : {}),
  };
}

/**
 * A dry run on a simulated start of the document's trigger (simulateDelivery), or on `given` trigger data; the
 * report says which.
 */
export async function dryRunOnTrigger(
  document: WorkflowDocument,
  deps: { catalog: CatalogPort; evaluate: EvaluatePort },
  given?: { data: unknown } | undefined,
): Promise<DryRunReport & { trigger: DryRunTrigger }> {
  const simulated = simulateDelivery(document, deps.catalog);
  const { data, ...trigger } = given
    ? { type: document.trigger.type, simulated: 'the trigger data given', data: given.data }
    : simulated;
  const report = await dryRunWorkflow(document, data, deps);
  return {
    ...report,
    trigger: given && simulated.verification ? { ...trigger, verification: simulated.verification } : trigger,
  };
}
