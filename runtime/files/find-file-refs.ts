import { FileRef } from '../../connectors/index.ts';

const MAX_DEPTH = 8;
const MAX_REFS = 50;

/** The file references in a step output (at most 50, up to 8 levels deep), in the order they appear. */
export function findFileRefs(value: unknown): FileRef[] {
  const found: FileRef[] = [];
  const seen = new Set<string>();
  const visit = (current: unknown, depth: number) => {
    if (found.length >= MAX_REFS || depth > MAX_DEPTH || current === null || typeof current !== 'object')
      return;
    if (Array.isArray(current)) {
      for (const item of current) visit(item, depth + 1);
      return;
    }
    if ('sha256' in current && 'id' in current) {
      const ref = FileRef.safeParse(current);
      if (ref.success) {
        if (!seen.has(ref.data.id)) found.push(ref.data);
        seen.add(ref.data.id);
        return;
      }
    }
    for (const inner of Object.values(current)) visit(inner, depth + 1);
  };
  visit(value, 0);
  return found;
}
