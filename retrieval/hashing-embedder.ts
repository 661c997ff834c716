import type { Embedder } from './embedder.ts';
import { contentTerms, splitWords } from './text-features.ts';

export const HASHING_EMBEDDER_VERSION = 'hashing-v1';

/** FNV-1a, 32 bit: fast, stable across processes and platforms. */
function fnv1a(text: string, seed = 0x811c9dc5): number {
  let hash = seed;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

const WEIGHTS = { unigram: 1, bigram: 0.6, charGram: 0.25 } as const;

/**
 * The offline default embedder: no download, no network, deterministic. Feature hashing ("the hashing trick")
 * of word unigrams, word bigrams and character 3–5-grams into a fixed number of dimensions; each feature's
 * sign comes from a second hash so collisions cancel rather than pile up; term counts are damped (1 + ln tf);
 * the vector is L2-normalised, so the dot product is the cosine. See retrieval/README.md.
 */
export type HashingEmbedder = Embedder & {
  /**
   * The query vector with each word feature scaled by `termWeight(term)` (e.g. the term's inverse document
   * frequency in the indexed docs), so rare words count more than words every doc has.
   */
  embedQueryWeighted(text: string, termWeight: (term: string) => number): number[];
  /** The normalised terms the embedder sees (for computing term statistics). */
  terms(text: string): string[];
};

export function isHashingEmbedder(embedder: Embedder): embedder is HashingEmbedder {
  return typeof (embedder as Partial<HashingEmbedder>).embedQueryWeighted === 'function';
}

export function createHashingEmbedder(options: { dims?: number } = {}): HashingEmbedder {
  const dims = options.dims ?? 512;
  if (!Number.isInteger(dims) || dims < 16 || dims > 16_000) {
    throw new Error(`Hashing embedder dims must be an integer in 16..16000, got ${dims}: pick e.g. 512.`);
  }

  function embed(text: string, termWeight: (term: string) => number = () => 1): number[] {
    const counts = new Map<string, { count: number; weight: number }>();
    const add = (feature: string, weight: number) => {
      const seen = counts.get(feature);
      if (seen) seen.count += 1;
      else counts.set(feature, { count: 1, weight });
    };
    const terms = contentTerms(text);
    for (let i = 0; i < terms.length; i++) {
      const term = terms[i] as string;
      const weight = termWeight(term);
      add(`w:${term}`, WEIGHTS.unigram * weight);
      const next = terms[i + 1];
      if (next !== undefined) add(`b:${term} ${next}`, WEIGHTS.bigram * Math.sqrt(weight * termWeight(next)));
    }
    // Character n-grams of the raw words catch spelling variants and word parts the stemmer misses.
    for (const word of splitWords(text)) {
      if (word.length < 3) continue;
      const padded = `<${word}>`;
      for (let n = 3; n <= 5; n++) {
        for (let i = 0; i + n <= padded.length; i++) add(`c:${padded.slice(i, i + n)}`, WEIGHTS.charGram);
      }
    }
    const vector = new Float64Array(dims);
    for (const [feature, { count, weight }] of counts) {
      const slot = fnv1a(feature) % dims;
      const sign = fnv1a(feature, 0x9747b28c) & 1 ? 1 : -1;
      vector[slot] = (vector[slot] ?? 0) + sign * weight * (1 + Math.log(count));
    }
    let norm = 0;
    for (const value of vector) norm += value * value;
    norm = Math.sqrt(norm);
    return Array.from(vector, (value) => (norm > 0 ? value / norm : 0));
  }

  return {
    model: `${HASHING_EMBEDDER_VERSION}-${dims}`,
    dims,
    async embedDocuments(texts) {
      return texts.map((text) => embed(text));
    },
    async embedQuery(text) {
      return embed(text);
    },
    embedQueryWeighted: (text, termWeight) => embed(text, termWeight),
    terms: contentTerms,
  };
}
