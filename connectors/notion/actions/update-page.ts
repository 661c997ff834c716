import { z } from 'zod';
import { describeNamed } from '../../sdk/describe-target.ts';
import { NotionId, Page, Properties, richText, toPage } from '../client.ts';
import { rest } from '../kit.ts';

export const UpdatePageInput = z.strictObject({
  pageId: NotionId.describe('The page (or database item) to change, e.g. from createPage or queryDatabase.'),
  title: z.string().max(2000).optional().describe('A new title, e.g. "Acme Corp – won".'),
  titleProperty: z
    .string()
    .min(1)
    .max(200)
    .default('Name')
    .describe(
      'The title property `title` goes in: "Name" (default) for database items, "title" for plain pages.',
    ),
  properties: Properties,
  archived: z.boolean().optional().describe('true moves the page to the trash, false restores it.'),
});

export const updatePage = rest.action({
  key: 'updatePage',
  title: 'Update a Notion page',
  description:
    'Change properties of a Notion page or database item (status, dates, numbers, the title), or archive it; properties not named keep their values.',
  effect: 'write',
  idempotent: true,
  describeTarget: (withValue) => describeNamed('the Notion page', withValue.pageId),
  input: UpdatePageInput,
  output: Page,
  http: {
    method: 'PATCH',
    path: '/pages/{pageId}',
    json: (input) => ({
      properties: {
        ...(input.properties ?? {}),
        ...(input.title === undefined ? {} : { [input.titleProperty]: { title: richText(input.title) } }),
      },
      ...(input.archived === undefined ? {} : { archived: input.archived }),
    }),
  },
  project: (response) => toPage(response.body),
});
