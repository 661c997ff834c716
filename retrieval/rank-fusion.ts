/** Candidates taken from each ranked list (vector, full text) before fusion. */
export const CANDIDATES = 40;

/**
 * Reciprocal-rank-fusion weights of the vector and full-text lists and its constant k (Cormack et al.; small
 * lists favour a smaller k), tuned on the labelled set's train split.
 */
export const DEFAULT_FUSION = { vector: 1, text: 0.8, k: 20 } as const;

export type Fusion = { vector: number; text: number; k: number };

/** A chunk in a ranked list: its row id and the document it belongs to. */
export type RankedHit = { id: number; docId: string };

export type FusedDocument<Hit extends RankedHit> = {
  docId: string;
  /** The document's first hit seen (its best in the first list that has it). */
  hit: Hit;
  score: number;
  /** The chunk that contributed most: what a snippet shows. */
  bestChunk: number;
};

/**
 * Reciprocal rank fusion at the level of documents: each list contributes its best chunk per document, weighted
 * by the list's weight and the hit's prior. Best first; ties by document id.
 */
export function fuseRankedLists<Hit extends RankedHit>(
  lists: readonly { hits: readonly Hit[]; weight: number }[],
  k: number,
  prior: (hit: Hit) => number = () => 1,
): FusedDocument<Hit>[] {
  const fused = new Map<string, FusedDocument<Hit> & { bestContribution: number }>();
  for (const { hits, weight } of lists) {
    if (weight <= 0) continue;
    const seen = new Set<string>();
    let rank = 0;
    for (const hit of hits) {
      if (seen.has(hit.docId)) continue;
      seen.add(hit.docId);
      rank++;
      const contribution = (weight * prior(hit)) / (k + rank);
      const entry = fused.get(hit.docId);
      if (!entry) {
        fused.set(hit.docId, {
          docId: hit.docId,
          hit,
          score: contribution,
          bestChunk: hit.id,
          bestContribution: contribution,
        });
      } else {
        entry.score += contribution;
        if (contribution > entry.bestContribution) {
          entry.bestChunk = hit.id;
          entry.bestContribution = contribution;
        }
      }
    }
  }
  return [...fused.values()]
    .sort((a, b) => b.score - a.score || a.docId.localeCompare(b.docId))
    .map(({ bestContribution: _best, ...entry }) => entry);
}
