import { STEP_TERMINAL } from '../store/run-status.ts';
import type { Edge, NodeGraph, WorkflowDocument, WorkflowNode } from '../workflow/document.ts';
import { parentOf, parsePath } from './scope-path.ts';

export type NodeState = { status: string; branch: string | null };

/**
 * A scope's node graph with its lookups precomputed. Workflow versions are immutable, so each is compiled once
 * per process (cached on the parsed document object, which loadDocument caches per version).
 */
export type CompiledGraph = NodeGraph & {
  byId: Map<string, WorkflowNode>;
  incoming: Map<string, Edge[]>;
  outgoing: Map<string, Edge[]>;
  /** Nodes without outgoing edges: the scope is complete when all of them are terminal. */
  leaves: string[];
  /** Every node upstream of a node (transitively): all the steps its expressions can see in this scope. */
  ancestors: Map<string, string[]>;
};

function compile(graph: NodeGraph): CompiledGraph {
  const byId = new Map(graph.nodes.map((node) => [node.id, node]));
  const incoming = new Map<string, Edge[]>(graph.nodes.map((node) => [node.id, []]));
  const outgoing = new Map<string, Edge[]>(graph.nodes.map((node) => [node.id, []]));
  for (const edge of graph.edges) {
    incoming.get(edge.to)?.push(edge);
    outgoing.get(edge.from)?.push(edge);
  }
  const ancestors = new Map<string, string[]>();
  const visit = (id: string, trail: Set<string>): string[] => {
    const known = ancestors.get(id);
    if (known) return known;
    const found = new Set<string>();
    if (!trail.has(id)) {
      trail.add(id);
      for (const edge of incoming.get(id) ?? []) {
        found.add(edge.from);
        for (const upstream of visit(edge.from, trail)) found.add(upstream);
      }
      trail.delete(id);
    }
    const list = [...found];
    ancestors.set(id, list);
    return list;
  };
  for (const node of graph.nodes) visit(node.id, new Set());
  const leaves = graph.nodes.filter((node) => (outgoing.get(node.id) ?? []).length === 0).map((n) => n.id);
  return { ...graph, byId, incoming, outgoing, leaves, ancestors };
}

const compiled = new WeakMap<WorkflowDocument, Map<string, CompiledGraph>>();

/** The node graph a scope path runs: the document's top level, or a foreach node's `do` body. */
export function graphForPath(document: WorkflowDocument, path: string): CompiledGraph {
  let perDocument = compiled.get(document);
  if (!perDocument) {
    perDocument = new Map();
    compiled.set(document, perDocument);
  }
  // Items of one foreach share a body: key by the node chain, not the indices.
  const segments = parsePath(path);
  const key = segments.map((segment) => segment.nodeId).join('/');
  const cached = perDocument.get(key);
  if (cached) return cached;
  let graph: NodeGraph = { nodes: document.nodes, edges: document.edges };
  for (const segment of segments) {
    const node = graph.nodes.find((candidate) => candidate.id === segment.nodeId);
    if (!node?.do)
      throw new Error(`Step path names "${segment.nodeId}", which is not a foreach node with a body.`);
    graph = { nodes: node.do.nodes, edges: node.do.edges ?? [] };
  }
  const result = compile(graph);
  perDocument.set(key, result);
  return result;
}

export function findNode(graph: NodeGraph, nodeId: string): WorkflowNode {
  const node =
    'byId' in graph
      ? (graph as CompiledGraph).byId.get(nodeId)
      : graph.nodes.find((candidate) => candidate.id === nodeId);
  if (!node) throw new Error(`Node "${nodeId}" is not in this version of the workflow.`);
  return node;
}

export function incomingEdges(graph: NodeGraph, nodeId: string): Edge[] {
  if ('incoming' in graph) return (graph as CompiledGraph).incoming.get(nodeId) ?? [];
  return graph.edges.filter((edge) => edge.to === nodeId);
}

/**
 * The steps a node at `path` may read: its ancestors in its scope, and for each enclosing foreach the
 * foreach node itself (its `items`) and that node's ancestors.
 */
export function visibleSteps(
  document: WorkflowDocument,
  nodeId: string,
  path: string,
): { nodeIds: string[]; paths: string[] } {
  const nodeIds: string[] = [];
  const paths: string[] = [];
  let current: { nodeId: string; path: string } | undefined = { nodeId, path };
  let own = true;
  while (current) {
    const graph = graphForPath(document, current.path);
    if (!own) {
      nodeIds.push(current.nodeId);
      paths.push(current.path);
    }
    for (const ancestor of graph.ancestors.get(current.nodeId) ?? []) {
      nodeIds.push(ancestor);
      paths.push(current.path);
    }
    own = false;
    const parent = parentOf(current.path);
    current = parent ? { nodeId: parent.nodeId, path: parent.parent } : undefined;
  }
  return { nodeIds, paths };
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
      const resolved = incoming.every((inner) => STEP_TERMINAL.has(states.get(inner.from)?.status ?? ''));
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
  return graph.nodes.every((node) => STEP_TERMINAL.has(states.get(node.id)?.status ?? ''));
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
