import type { Edge, NodeGraph, WorkflowDocument, WorkflowNode } from '../workflow/document.ts';
import { parsePath } from './scope-path.ts';

export type StepStatus =
  | 'queued'
  | 'running'
  | 'retrying'
  | 'waiting'
  | 'succeeded'
  | 'failed'
  | 'skipped'
  | 'cancelled';
export const TERMINAL: ReadonlySet<string> = new Set(['succeeded', 'failed', 'skipped']);
export const LIVE_RUN: ReadonlySet<string> = new Set(['queued', 'running', 'waiting']);

export type NodeState = { status: string; branch: string | null };

/** The node graph a scope path runs: the document's top level, or a foreach node's `do` body. */
export function graphForPath(document: WorkflowDocument, path: string): NodeGraph {
  let graph: NodeGraph = { nodes: document.nodes, edges: document.edges };
  for (const segment of parsePath(path)) {
    const node = graph.nodes.find((candidate) => candidate.id === segment.nodeId);
    if (!node?.do)
      throw new Error(`Step path names "${segment.nodeId}", which is not a foreach node with a body.`);
    graph = { nodes: node.do.nodes, edges: node.do.edges ?? [] };
  }
  return graph;
}

export function findNode(graph: NodeGraph, nodeId: string): WorkflowNode {
  const node = graph.nodes.find((candidate) => candidate.id === nodeId);
  if (!node) throw new Error(`Node "${nodeId}" is not in this version of the workflow.`);
  return node;
}

export function incomingEdges(graph: NodeGraph, nodeId: string): Edge[] {
  return graph.edges.filter((edge) => edge.to === nodeId);
}

export function startNodes(graph: NodeGraph): WorkflowNode[] {
  const targets = new Set(graph.edges.map((edge) => edge.to));
  return graph.nodes.filter((node) => !targets.has(node.id));
}

/** An edge carries control when its source finished and took the edge's branch (no branch: any but `error`). */
export function edgeActive(edge: Edge, source: NodeState | undefined): boolean {
  if (!source || (source.status !== 'succeeded' && source.status !== 'failed')) return false;
  if (edge.branch === undefined) return source.branch !== 'error';
  return edge.branch === source.branch;
}

/**
 * After `changed` nodes finished, which nodes of the scope became ready and which are skipped (all their
 * incoming edges resolved, none active). Skips propagate. `states` is updated in place.
 */
export function propagate(
  graph: NodeGraph,
  states: Map<string, NodeState>,
  changed: string[],
): { ready: string[]; skipped: string[] } {
  const ready: string[] = [];
  const skipped: string[] = [];
  const queue = [...changed];
  while (queue.length > 0) {
    const from = queue.shift() as string;
    for (const edge of graph.edges) {
      if (edge.from !== from || states.has(edge.to)) continue;
      const incoming = incomingEdges(graph, edge.to);
      const resolved = incoming.every((inner) => TERMINAL.has(states.get(inner.from)?.status ?? ''));
      if (!resolved) continue;
      if (incoming.some((inner) => edgeActive(inner, states.get(inner.from)))) {
        states.set(edge.to, { status: 'queued', branch: null });
        ready.push(edge.to);
      } else {
        states.set(edge.to, { status: 'skipped', branch: null });
        skipped.push(edge.to);
        queue.push(edge.to);
      }
    }
  }
  return { ready, skipped };
}

export function scopeComplete(graph: NodeGraph, states: Map<string, NodeState>): boolean {
  return graph.nodes.every((node) => TERMINAL.has(states.get(node.id)?.status ?? ''));
}

/**
 * The output of a finished scope (a run, or one foreach item): the `core.respond` body if one ran; else the
 * output of the one leaf that ran; else `{ <leafId>: output }` for the leaves that ran.
 */
export function scopeOutput(
  graph: NodeGraph,
  steps: Map<string, { status: string; output: unknown }>,
  response?: { body: unknown } | null,
): unknown {
  if (response) return response.body;
  const sources = new Set(graph.edges.map((edge) => edge.from));
  const ran = graph.nodes.filter((node) => {
    const status = steps.get(node.id)?.status;
    return !sources.has(node.id) && (status === 'succeeded' || status === 'failed');
  });
  if (ran.length === 1 && ran[0]) return steps.get(ran[0].id)?.output ?? null;
  if (ran.length === 0) return null;
  return Object.fromEntries(ran.map((node) => [node.id, steps.get(node.id)?.output ?? null]));
}
