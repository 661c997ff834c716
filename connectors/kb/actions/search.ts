import { z } from 'zod';
import { CollectionName } from '../fields.ts';
import { action } from '../kit.ts';

export const SearchInput = z.strictObject({
  collection: CollectionName,
  query: z
    .string()
    .trim()
    .min(1)
    .max(2_000)
    .describe('What to look for, in natural language, e.g. "how do I rotate the API key?".'),
  k: z.number().int().min(1).max(50).default(5).describe('How many documents to return (1–50, default 5).'),
});

export const SearchOutput = z.strictObject({
  results: z
    .array(
      z.strictObject({
        id: z.string().describe('The document id given to kb.upsert.'),
        text: z.string().describe("The document's best-matching chunk."),
        score: z.number().describe('Relevance (higher is better); comparable within one search only.'),
      }),
    )
    .describe('Best first, one entry per document; empty when the collection has nothing matching.'),
});

export const search = action({
  key: 'search',
  title: 'Search the knowledge base',
  description:
    'Find the documents of a knowledge-base collection that best answer a question (vector + full-text hybrid ranking); returns { results: [{ id, text, score }] } best first.',
  effect: 'read',
  idempotent: true,
  input: SearchInput,
  output: SearchOutput,
  run(input, ctx) {
    return ctx.client.search({ runId: ctx.node.runId }, input);
  },
});
