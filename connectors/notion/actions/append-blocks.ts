import { z } from 'zod';
import { describeNamed } from '../../sdk/describe-target.ts';
import { Blocks, childrenOf, NotionId, Paragraphs, QueryPage } from '../client.ts';
import { rest } from '../kit.ts';

export const AppendBlocksInput = z
  .strictObject({
    blockId: NotionId.describe(
      'The page (or block) to append to, e.g. "2f6c1d0e-8a5b-4c3d-9e7f-0a1b2c3d4e5f".',
    ),
    paragraphs: Paragraphs,
    blocks: Blocks,
    after: NotionId.optional().describe('Insert after this child block instead of at the end.'),
  })
  .refine((input) => (input.paragraphs?.length ?? 0) + (input.blocks?.length ?? 0) > 0, {
    message: 'give paragraphs or blocks to append',
    path: ['paragraphs'],
  })
  .refine((input) => (input.paragraphs?.length ?? 0) + (input.blocks?.length ?? 0) <= 100, {
    message: 'at most 100 paragraphs and blocks together (Notion’s limit per request)',
    path: ['blocks'],
  });

const AppendedBlock = z.object({ id: z.string(), type: z.string() }).loose();

export const appendBlocks = rest.action({
  key: 'appendBlocks',
  title: 'Append blocks to a Notion page',
  description:
    'Add content to the end of a Notion page (or after a given block): plain paragraphs, or any blocks in the Notion API’s shape (to-dos, headings, bullets).',
  effect: 'write',
  idempotent: false,
  describeTarget: (withValue) => describeNamed('the Notion page', withValue.blockId),
  input: AppendBlocksInput,
  output: z.object({
    blockIds: z.array(z.string()).describe('The ids of the blocks added, in order.'),
  }),
  http: {
    method: 'PATCH',
    path: '/blocks/{blockId}/children',
    json: (input) => ({ children: childrenOf(input), ...(input.after ? { after: input.after } : {}) }),
  },
  project: (response) => ({
    blockIds: QueryPage.parse(response.body).results.map((block) => AppendedBlock.parse(block).id),
  }),
});
