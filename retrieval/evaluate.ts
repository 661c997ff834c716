import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import type { DocIndex } from './doc-index.ts';

export const LABELLED_SET_PATH = fileURLToPath(new URL('../evals/retrieval/labelled.jsonl', import.meta.url));

export const LabelledExample = z.object({
  query: z.string().min(1),
  /** Any of these ids counts as a hit. */
  expected: z.array(z.string().min(1)).min(1),
  /** `train` may be looked at while tuning; `test` is held out. */
  split: z.enum(['train', 'test']),
});
export type LabelledExample = z.infer<typeof LabelledExample>;

export async function loadLabelledSet(path: string = LABELLED_SET_PATH): Promise<LabelledExample[]> {
  const text = await readFile(path, 'utf8');
  return text
    .split('\n')
    .map((line, i) => ({ line: line.trim(), i }))
    .filter(({ line }) => line.length > 0)
    .map(({ line, i }) => {
      const parsed = LabelledExample.safeParse(JSON.parse(line));
      if (!parsed.success)
        throw new Error(`${path}:${i + 1}: not a labelled example: ${parsed.error.message}`);
      return parsed.data;
    });
}

export type RetrievalScores = {
  n: number;
  recallAt1: number;
  recallAt5: number;
  mrr: number;
  misses: { query: string; expected: string[]; got: string[] }[];
};

const round = (value: number) => Math.round(value * 1000) / 1000;

/** recall@1, recall@5 and MRR (over the top 10) of the index on the labelled examples. */
export async function evaluateRetrieval(
  index: DocIndex,
  examples: LabelledExample[],
): Promise<RetrievalScores> {
  let at1 = 0;
  let at5 = 0;
  let reciprocal = 0;
  const misses: RetrievalScores['misses'] = [];
  for (const example of examples) {
    const hits = await index.search(example.query, { k: 10 });
    const rank = hits.findIndex((hit) => example.expected.includes(hit.id)) + 1;
    if (rank === 1) at1++;
    if (rank >= 1 && rank <= 5) at5++;
    else
      misses.push({
        query: example.query,
        expected: example.expected,
        got: hits.slice(0, 5).map((hit) => hit.id),
      });
    if (rank >= 1) reciprocal += 1 / rank;
  }
  const n = examples.length || 1;
  return {
    n: examples.length,
    recallAt1: round(at1 / n),
    recallAt5: round(at5 / n),
    mrr: round(reciprocal / n),
    misses,
  };
}

/** The connector (or `core` for core nodes) an example is about: the part of its first expected id before the dot. */
export function familyOf(example: LabelledExample): string {
  return (example.expected[0] ?? '').split('.')[0] ?? '';
}

/** recall@1 and recall@5 per connector family, on the given examples (the held-out split, for the new ones). */
export async function recallByFamily(
  index: DocIndex,
  examples: LabelledExample[],
): Promise<Record<string, { n: number; recallAt1: number; recallAt5: number }>> {
  const families = new Map<string, LabelledExample[]>();
  for (const example of examples)
    families.set(familyOf(example), [...(families.get(familyOf(example)) ?? []), example]);
  const result: Record<string, { n: number; recallAt1: number; recallAt5: number }> = {};
  for (const [family, members] of [...families].sort(([a], [b]) => a.localeCompare(b))) {
    const { n, recallAt1, recallAt5 } = await evaluateRetrieval(index, members);
    result[family] = { n, recallAt1, recallAt5 };
  }
  return result;
}
