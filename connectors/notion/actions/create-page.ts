import { z } from 'zod';
import { describeNamed } from '../../sdk/describe-target.ts';
import { Blocks, childrenOf, NotionId, Page, Paragraphs, Properties, richText, toPage } from '../client.ts';
import { rest } from '../kit.ts';

export const CreatePageInput = z
  .strictObject({
    databaseId: NotionId.optional().describe(
      'Add the page as an item of this database (the id in the database URL), e.g. "2f6c1d0e8a5b4c3d9e7f0a1b2c3d4e5f".',
    ),
    parentPageId: NotionId.optional().describe(
      'Or add it as a sub-page of this page (instead of databaseId).',
    ),
    title: z.string().max(2000).optional().describe('The page title, e.g. "Acme Corp – demo request".'),
    titleProperty: z
      .string()
      .min(1)
      .max(200)
      .default('Name')
      .describe(
        'The database’s title property that `title` goes in; default "Name" (ignored for a sub-page).',
      ),
    properties: Properties,
    paragraphs: Paragraphs,
    blocks: Blocks,
  })
  .refine((input) => (input.databaseId === undefined) !== (input.parentPageId === undefined), {
    message: 'give exactly one of databaseId and parentPageId',
    path: ['databaseId'],
  })
  .refine((input) => (input.paragraphs?.length ?? 0) + (input.blocks?.length ?? 0) <= 100, {
    message: 'at most 100 paragraphs and blocks together (Notion’s limit per request)',
    path: ['blocks'],
  });

export const createPage = rest.action({
  key: 'createPage',
  title: 'Create a Notion page',
  description:
    'Add a page to a Notion database (a new item with its properties) or under a page, with a title and optional paragraphs or blocks as its content.',
  effect: 'write',
  // Notion takes no idempotency key: a retry after a lost answer can add the page twice.
  idempotent: false,
  describeTarget: (withValue) =>
    describeNamed('the Notion database', withValue.databaseId) ??
    describeNamed('the Notion page', withValue.parentPageId),
  input: CreatePageInput,
  output: Page,
  http: {
    method: 'POST',
    path: '/pages',
    json: (input) => {
      const titleName = input.databaseId ? input.titleProperty : 'title';
      const children = childrenOf(input);
      return {
        parent: input.databaseId ? { database_id: input.databaseId } : { page_id: input.parentPageId },
        properties: {
          ...(input.properties ?? {}),
          ...(input.title === undefined ? {} : { [titleName]: { title: richText(input.title) } }),
        },
        ...(children.length > 0 ? { children } : {}),
      };
    },
  },
  project: (response) => toPage(response.body),
});
