import { z } from 'zod';
import { ConnectorError } from '../../sdk/connector-error.ts';
import { Entry, toEntry } from '../client.ts';
import { action } from '../kit.ts';

const Page = z.object({ entries: z.array(z.unknown()), cursor: z.string(), has_more: z.boolean() });

export const listFolder = action({
  key: 'listFolder',
  title: 'List a Dropbox folder',
  description:
    'List the files and folders in a Dropbox folder (optionally everything below it), with size, modified time ' +
    'and revision; pages are followed with Dropbox’s cursor.',
  effect: 'read',
  idempotent: true,
  input: z.strictObject({
    path: z
      .string()
      .max(4096)
      .regex(/^(|\/.*[^/]|id:[A-Za-z0-9_-]+)$/, 'a folder path such as "/Invoices", or "" for the root')
      .default('')
      .describe(
        'The folder, e.g. "/Invoices/2026"; "" (default) for the root (the app folder for app-folder apps).',
      ),
    recursive: z.boolean().default(false).describe('true: also everything in sub-folders.'),
    limit: z
      .number()
      .int()
      .min(1)
      .max(10_000)
      .default(1000)
      .describe('At most this many entries, e.g. 200 (default 1000).'),
  }),
  output: z.strictObject({
    entries: z.array(Entry).describe('Files and folders, in Dropbox’s order.'),
    cursor: z.string().describe('Dropbox’s cursor for the listing (for list_folder/continue later).'),
    truncated: z.boolean().describe('True when the folder had more entries than `limit`.'),
  }),
  async run(input, ctx) {
    const entries: z.infer<typeof Entry>[] = [];
    let page = Page.parse(
      await ctx.client.rpc(
        '/2/files/list_folder',
        {
          path: input.path,
          recursive: input.recursive,
          limit: Math.min(2000, input.limit),
          include_deleted: false,
        },
        ctx.signal,
      ),
    );
    const seen = new Set<string>();
    let dropped = false;
    for (let pages = 1; ; pages += 1) {
      for (const raw of page.entries) {
        if (entries.length < input.limit) entries.push(toEntry(raw));
        else dropped = true;
      }
      if (!page.has_more || entries.length >= input.limit) break;
      if (seen.has(page.cursor) || pages >= 50) {
        throw new ConnectorError({
          code: 'E_UPSTREAM',
          message: 'dropbox.listFolder: the listing did not end (a repeated cursor or more than 50 pages).',
          retryable: false,
          hint: 'List a narrower folder, or lower `limit`.',
        });
      }
      seen.add(page.cursor);
      page = Page.parse(
        await ctx.client.rpc('/2/files/list_folder/continue', { cursor: page.cursor }, ctx.signal),
      );
    }
    return { entries, cursor: page.cursor, truncated: page.has_more || dropped };
  },
});
