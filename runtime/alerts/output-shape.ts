/** How deep, how many and how long the field paths of one output are read: the record stays small. */
const MAX_DEPTH = 4;
const MAX_PATHS = 200;
const MAX_KEY_LENGTH = 64;
const ARRAY_SAMPLE = 3;
/** Keys that look like data rather than field names (addresses, ids, numbers, free text): maps keyed by data. */
const DATA_LIKE_KEY = /[@\s/:]|^\d+$|^[0-9a-f-]{16,}$/i;
/** Successful outputs in a row that must have had a field before its absence counts as a change of shape. */
export const SHAPE_MIN_PRESENT = 3;
/** Outputs in a row without a field after which its absence is accepted as the new shape. */
export const SHAPE_ACCEPT_AFTER = 20;

/**
 * The field paths of a JSON value, never its values: `a`, `a.b`, `items[]`, `items[].id`. Arrays are read through
 * their first few items; keys that look like data (very long, an address, a number, an id) are left out.
 */
export function fieldPathsOf(value: unknown): Set<string> {
  const paths = new Set<string>();
  const walk = (node: unknown, prefix: string, depth: number): void => {
    if (depth >= MAX_DEPTH || paths.size >= MAX_PATHS || node === null || typeof node !== 'object') return;
    if (Array.isArray(node)) {
      for (const item of node.slice(0, ARRAY_SAMPLE)) {
        if (item === null || typeof item !== 'object') continue;
        walk(item, prefix, depth + 1);
      }
      return;
    }
    for (const [key, child] of Object.entries(node)) {
      if (key.length > MAX_KEY_LENGTH || DATA_LIKE_KEY.test(key) || paths.size >= MAX_PATHS) continue;
      const path = prefix === '' ? key : `${prefix}.${key}`;
      const named = Array.isArray(child) ? `${path}[]` : path;
      paths.add(named);
      walk(child, named, depth + 1);
    }
  };
  walk(value, '', 0);
  return paths;
}

/** path → outputs in a row that had it (present), or that lacked it since it went missing (missing). */
export type StepShape = { present: Record<string, number>; missing: Record<string, number> };

/** Folds one successful output's field paths into the step's shape record. */
export function advanceShape(shape: StepShape, paths: ReadonlySet<string>): StepShape {
  const present: Record<string, number> = {};
  const missing: Record<string, number> = {};
  for (const path of paths) present[path] = Math.min((shape.present[path] ?? 0) + 1, 1_000_000);
  for (const [path, streak] of Object.entries(shape.present))
    if (!paths.has(path) && streak >= SHAPE_MIN_PRESENT) missing[path] = 1;
  for (const [path, streak] of Object.entries(shape.missing))
    if (!paths.has(path) && streak + 1 < SHAPE_ACCEPT_AFTER) missing[path] = streak + 1;
  return { present, missing };
}

/** The missing paths worth naming: those whose parent is not missing too (`customer`, not also `customer.email`). */
export function topMissingPaths(shape: StepShape): string[] {
  const all = Object.keys(shape.missing).sort();
  const set = new Set(all);
  return all.filter((path) => {
    const parent = path.replace(/\[\]$/, '').replace(/\.[^.]+$/, '');
    return parent === path.replace(/\[\]$/, '') || !(set.has(parent) || set.has(`${parent}[]`));
  });
}
