/**
 * Full-text candidates without ranking the whole table: an OR-ed, synonym-widened query matches most chunks of
 * a large index (at 10k chunks "send or post or message …" matched up to 99% of them, and ranking them all cost
 * 50–150 ms). The filter keeps the query's rarest lexemes whose document frequencies add up to a budget; the
 * chunks it matches are then ranked with the full query. Common lexemes still count in the rank, they just do
 * not pull in candidates on their own (the vector side covers those).
 */

/** Estimated rows the filter may match (the sum of its lexemes' document frequencies). */
export const TEXT_FILTER_BUDGET = 600;
/** Hard cap on rows ranked, for a query made only of very common lexemes. */
export const TEXT_SCAN_CAP = 800;

/** The lexemes to filter on: rarest first while their document frequencies fit `budget`; at least one. */
export function chooseFilterLexemes(
  lexemes: Iterable<string>,
  documentFrequency: (lexeme: string) => number,
  budget: number = TEXT_FILTER_BUDGET,
): string[] {
  const known = [...new Set(lexemes)]
    .map((lexeme) => ({ lexeme, df: documentFrequency(lexeme) }))
    .filter((entry) => entry.df > 0)
    .sort((a, b) => a.df - b.df || a.lexeme.localeCompare(b.lexeme));
  const chosen: string[] = [];
  let total = 0;
  for (const { lexeme, df } of known) {
    if (chosen.length > 0 && total + df > budget) break;
    chosen.push(lexeme);
    total += df;
  }
  return chosen;
}

/** `'a' | 'b'` as tsquery input text: quoted lexemes, used as they are (no stemming again). */
export function orTsquery(lexemes: readonly string[]): string {
  return lexemes.map((lexeme) => `'${lexeme.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`).join(' | ');
}
