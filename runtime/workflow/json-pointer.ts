/** Builds a JSON Pointer (RFC 6901) from path segments: `['nodes', 0, 'with']` → `/nodes/0/with`. */
export function toPointer(segments: readonly (string | number)[]): string {
  let pointer = '';
  for (const segment of segments) {
    pointer += `/${String(segment).replaceAll('~', '~0').replaceAll('/', '~1')}`;
  }
  return pointer;
}

/** Appends segments to an existing pointer. */
export function joinPointer(base: string, ...segments: (string | number)[]): string {
  return base + toPointer(segments);
}
