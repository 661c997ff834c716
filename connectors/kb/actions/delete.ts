import { z } from 'zod';
import { describeNamed } from '../../sdk/describe-target.ts';
import { CollectionName, DocumentId } from '../fields.ts';
import { action } from '../kit.ts';

export const DeleteInput = z.strictObject({ collection: CollectionName, id: DocumentId });

export const DeleteOutput = z.strictObject({
  collection: z.string().describe('The collection.'),
  id: z.string().describe('The document id.'),
  deleted: z.boolean().describe('True when the document existed and is gone now; false when there was none.'),
});

export const deleteDocument = action({
  key: 'delete',
  title: 'Remove a document from the knowledge base',
  description:
    'Remove a document (all its chunks) from a knowledge-base collection by its id; deleting an id that is not there succeeds with deleted: false.',
  effect: 'write',
  idempotent: true,
  describeTarget: (withValue) =>
    describeNamed('the knowledge base collection', withValue.collection, { document: withValue.id }),
  input: DeleteInput,
  output: DeleteOutput,
  async run(input, ctx) {
    const { deleted } = await ctx.client.delete({ runId: ctx.node.runId }, input);
    return { collection: input.collection, id: input.id, deleted };
  },
});
