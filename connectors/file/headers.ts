/** Column names from a header row: blanks become column_N, repeats get _2, _3 (so no value overwrites another). */
export function uniqueHeaders(cells: readonly unknown[]): string[] {
  const seen = new Map<string, number>();
  return cells.map((cell, index) => {
    const base = (cell === null || cell === undefined ? '' : String(cell)).trim() || `column_${index + 1}`;
    const count = (seen.get(base) ?? 0) + 1;
    seen.set(base, count);
    return count === 1 ? base : `${base}_${count}`;
  });
}
