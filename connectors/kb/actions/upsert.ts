import { z } from 'zod';
import { CollectionName, DocumentId } from '../fields.ts';
import { action } from '../kit.ts';

/** Longest document text one upsert takes (about 250 pages); split bigger documents into several ids. */
export const MAX_TEXT_CHARS = 1_000_000;

export const UpsertInput = z.strictObject({
  collection: CollectionName,
  id: DocumentId,
  text: z
    .string()
    .min(1)
    .max(MAX_TEXT_CHARS)
    .describe('The document text (plain text or markdown); it is cut into chunks and embedded.'),
});
export type UpsertInput = z.infer<typeof UpsertInput>;

export const UpsertOutput = z.strictObject({
  collection: z.string().describe('The collection written.'),
  id: z.string().describe('The document id written.'),
  chunks: z.number().int().describe('How many chunks the document was cut into.'),
  replaced: z.boolean().describe('True when a document with this id existed and its chunks were replaced.'),
});

export const upsert = action({
  key: 'upsert',
  title: 'Add or replace a document in the knowledge base',
  description:
    'Store a document in a workspace knowledge-base collection (chunked, embedded, full-text indexed) so kb.search finds it; the same id again replaces it.',
  effect: 'write',
  idempotent: true,
  checkWith(withValue) {
    if (!('file' in withValue)) return [];
    return [
      {
        code: 'E_PARAMS',
        field: '/file',
        message: 'kb.upsert does not take "file" yet: files in workflows are not available in this version.',
        hint: 'Give the document as "text" (e.g. "{{ steps.fetch.output.body }}").',
      },
    ];
  },
  input: UpsertInput,
  output: UpsertOutput,
  async run(input, ctx) {
    const written = await ctx.client.upsert({ runId: ctx.node.runId }, input);
    return { collection: input.collection, id: input.id, ...written };
  },
});
