/** A directed graph over node ids; edges keep their index in the document's edge list. */
export type GraphEdge = { from: string; to: string; index: number };

/** Strongly connected components that form cycles (size > 1, or a node with an edge to itself). */
export function findCycles(ids: readonly string[], edges: readonly GraphEdge[]): string[][] {
  const successors = new Map<string, string[]>(ids.map((id) => [id, []]));
  const selfLoops = new Set<string>();
  for (const edge of edges) {
    successors.get(edge.from)?.push(edge.to);
    if (edge.from === edge.to) selfLoops.add(edge.from);
  }
  // Tarjan's algorithm, iterative so deep graphs cannot overflow the stack.
  let counter = 0;
  const indexOf = new Map<string, number>();
  const lowLink = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const cycles: string[][] = [];
  for (const root of ids) {
    if (indexOf.has(root)) continue;
    const work: { id: string; next: number }[] = [{ id: root, next: 0 }];
    indexOf.set(root, counter);
    lowLink.set(root, counter);
    counter += 1;
    stack.push(root);
    onStack.add(root);
    while (work.length > 0) {
      const frame = work[work.length - 1]!;
      const next = successors.get(frame.id) ?? [];
      if (frame.next < next.length) {
        const target = next[frame.next]!;
        frame.next += 1;
        if (!successors.has(target)) continue;
        if (!indexOf.has(target)) {
          indexOf.set(target, counter);
          lowLink.set(target, counter);
          counter += 1;
          stack.push(target);
          onStack.add(target);
          work.push({ id: target, next: 0 });
        } else if (onStack.has(target)) {
          lowLink.set(frame.id, Math.min(lowLink.get(frame.id)!, indexOf.get(target)!));
        }
        continue;
      }
      work.pop();
      const parent = work[work.length - 1];
      if (parent) lowLink.set(parent.id, Math.min(lowLink.get(parent.id)!, lowLink.get(frame.id)!));
      if (lowLink.get(frame.id) === indexOf.get(frame.id)) {
        const component: string[] = [];
        let member: string | undefined;
        do {
          member = stack.pop();
          if (member === undefined) break;
          onStack.delete(member);
          component.push(member);
        } while (member !== frame.id);
        if (component.length > 1 || selfLoops.has(frame.id)) {
          const order = new Map(ids.map((id, position) => [id, position]));
          cycles.push(component.sort((a, b) => (order.get(a) ?? 0) - (order.get(b) ?? 0)));
        }
      }
    }
  }
  return cycles;
}

/** Returns a lookup of the nodes upstream of a node (transitive predecessors), computed on demand; cycles tolerated. */
export function createAncestorLookup(
  ids: readonly string[],
  edges: readonly GraphEdge[],
): (id: string) => Set<string> {
  const predecessors = new Map<string, string[]>(ids.map((id) => [id, []]));
  for (const edge of edges) {
    if (predecessors.has(edge.from)) predecessors.get(edge.to)?.push(edge.from);
  }
  const cache = new Map<string, Set<string>>();
  return (id) => {
    const cached = cache.get(id);
    if (cached) return cached;
    const seen = new Set<string>();
    const queue = [...(predecessors.get(id) ?? [])];
    while (queue.length > 0) {
      const current = queue.pop()!;
      if (seen.has(current)) continue;
      seen.add(current);
      queue.push(...(predecessors.get(current) ?? []));
    }
    seen.delete(id);
    cache.set(id, seen);
    return seen;
  };
}

/** Nodes that nothing can start: they have incoming edges but no path from a node without incoming edges. */
export function unreachableNodes(ids: readonly string[], edges: readonly GraphEdge[]): string[] {
  const successors = new Map<string, string[]>(ids.map((id) => [id, []]));
  const hasIncoming = new Set<string>();
  for (const edge of edges) {
    if (!successors.has(edge.from) || !successors.has(edge.to)) continue;
    successors.get(edge.from)?.push(edge.to);
    hasIncoming.add(edge.to);
  }
  const reached = new Set<string>();
  const queue = ids.filter((id) => !hasIncoming.has(id));
  while (queue.length > 0) {
    const current = queue.pop()!;
    if (reached.has(current)) continue;
    reached.add(current);
    queue.push(...(successors.get(current) ?? []));
  }
  return ids.filter((id) => !reached.has(id));
}
