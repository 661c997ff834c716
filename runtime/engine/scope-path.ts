/**
 * A step's `path` names the foreach instance it belongs to: '' at the top level, `loop[3]` for item 3 of
 * foreach node `loop`, `loop[3]/inner[0]` when nested. (run, node, path) is the step ledger's key.
 */
export type PathSegment = { nodeId: string; index: number };

export function childPath(parent: string, nodeId: string, index: number): string {
  const segment = `${nodeId}[${index}]`;
  return parent === '' ? segment : `${parent}/${segment}`;
}

export function parsePath(path: string): PathSegment[] {
  if (path === '') return [];
  return path.split('/').map((segment) => {
    const match = /^([a-zA-Z][a-zA-Z0-9_]*)\[(\d+)\]$/.exec(segment);
    if (!match?.[1] || match[2] === undefined) throw new Error(`Malformed step path "${path}".`);
    return { nodeId: match[1], index: Number(match[2]) };
  });
}

/** The enclosing scope of a foreach instance path, and that instance's foreach node and index. */
export function parentOf(path: string): { parent: string; nodeId: string; index: number } | undefined {
  const segments = parsePath(path);
  const last = segments.pop();
  if (!last) return undefined;
  return {
    parent: segments.map((s) => `${s.nodeId}[${s.index}]`).join('/'),
    nodeId: last.nodeId,
    index: last.index,
  };
}

/** Whether a step at `stepPath` is visible from a node in scope `scope` (same scope or an enclosing one). */
export function isVisibleFrom(stepPath: string, scope: string): boolean {
  return stepPath === '' || stepPath === scope || scope.startsWith(`${stepPath}/`);
}

export function stepKey(nodeId: string, path: string): string {
  return `${path}\u0000${nodeId}`;
}

export function jobKeyFor(runId: string, nodeId: string, path: string): string {
  return `step:${runId}:${path}:${nodeId}`;
}
