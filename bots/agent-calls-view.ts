import type { AgentCallView } from './workflow-port.ts';

/** A recorded sub-step as the run view has it (runtime/store/run-store.ts SubStepView). */
export type RecordedSubStep = {
  seq: number;
  kind: string;
  name: string | null;
  input: unknown;
  output: unknown;
  isError: boolean;
  at: string | null;
  startedAt?: string | null | undefined;
};

/** Most characters of a call's input or output on the run page. */
export const AGENT_CALL_PREVIEW_CHARS = 300;

const preview = (value: unknown): string | undefined => {
  if (value === null || value === undefined) return undefined;
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return text.length > AGENT_CALL_PREVIEW_CHARS ? `${text.slice(0, AGENT_CALL_PREVIEW_CHARS)}…` : text;
};

const millisBetween = (from: string | null | undefined, to: string | null | undefined) => {
  if (!from || !to) return undefined;
  const ms = Date.parse(to) - Date.parse(from);
  return Number.isFinite(ms) && ms >= 0 ? ms : undefined;
};

/** The content a tool sub-step gave the model (its output is `{ content }`), or the output itself. */
const contentOf = (output: unknown): unknown =>
  typeof output === 'object' && output !== null && 'content' in output
    ? (output as { content: unknown }).content
    : output;

/** A listing's offered tool names (its output is `{ tools: [{ name, … }] }`), or the output itself. */
function listedNames(output: unknown): unknown {
  const tools = (output as { tools?: unknown } | null)?.tools;
  if (!Array.isArray(tools)) return output;
  return tools.map((tool) => String((tool as { name?: unknown } | null)?.name ?? '?')).join(', ');
}

/** The tool calls of a model turn's recorded output (none when it is cut or has none). */
function callsOf(output: unknown): { name: string; input: unknown }[] {
  if (typeof output !== 'object' || output === null || !('toolCalls' in output)) return [];
  const calls = (output as { toolCalls: unknown }).toolCalls;
  if (!Array.isArray(calls)) return [];
  return calls.flatMap((call) =>
    typeof call === 'object' && call !== null && typeof (call as { name?: unknown }).name === 'string'
      ? [{ name: (call as { name: string }).name, input: (call as { input?: unknown }).input }]
      : [],
  );
}

/**
 * A core.agent step's tool calls from its sub-steps: each tool call with its approval (when it had one) folded
 * in, MCP listings, and, while the step waits, the call it waits on (for a person or a workflow tool's run).
 */
export function agentCallsOf(
  subSteps: readonly RecordedSubStep[],
  stepStatus: string,
  waitsForPerson = false,
): AgentCallView[] {
  const calls: AgentCallView[] = [];
  let decided: AgentCallView['approval'] | undefined;
  let asked: { name: string; input: unknown }[] = [];
  for (const sub of subSteps) {
    if (sub.kind === 'model') {
      asked = callsOf(sub.output);
      continue;
    }
    if (sub.kind === 'approval') {
      const decision = (sub.output as { decision?: unknown } | null)?.decision;
      decided = {
        decision: decision === 'rejected' ? 'rejected' : 'approved',
        waitedMs: millisBetween(sub.startedAt, sub.at),
      };
      continue;
    }
    if (sub.kind !== 'tool' && sub.kind !== 'listing') continue;
    asked.shift();
    const rejected = decided?.decision === 'rejected';
    calls.push({
      seq: sub.seq,
      kind: sub.kind,
      name: sub.name ?? (sub.kind === 'listing' ? 'MCP tools' : 'tool'),
      status: rejected ? 'rejected' : sub.isError ? 'failed' : 'succeeded',
      durationMs: rejected ? undefined : millisBetween(sub.startedAt, sub.at),
      input: preview(sub.input),
      output: preview(sub.kind === 'tool' ? contentOf(sub.output) : listedNames(sub.output)),
      ...(decided ? { approval: decided } : {}),
    });
    decided = undefined;
  }
  const next = asked[0];
  if (stepStatus === 'waiting' && next) {
    calls.push({
      seq: (subSteps.at(-1)?.seq ?? -1) + 1,
      kind: 'tool',
      name: next.name,
      status: 'waiting',
      input: preview(next.input),
      ...(waitsForPerson ? { approval: { decision: 'pending' } } : {}),
    });
  }
  return calls;
}
