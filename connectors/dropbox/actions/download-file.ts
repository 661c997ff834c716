import { z } from 'zod';
import { FileRef } from '../../sdk/files.ts';
import { DropboxMetadata, DropboxPath, Entry, toEntry } from '../client.ts';
import { action } from '../kit.ts';

export const downloadFile = action({
  key: 'downloadFile',
  title: 'Download a file from Dropbox',
  description:
    'Fetch a file from Dropbox by path (or id) into the run’s files, to attach, parse or upload it elsewhere in ' +
    'later steps.',
  effect: 'read',
  idempotent: true,
  input: z.strictObject({
    path: DropboxPath.describe(
      'The file, e.g. "/Invoices/2026/1042.pdf", or its id "id:a4ayc_80_OEAAAAAAAAAXw".',
    ),
  }),
  output: z.strictObject({ file: FileRef, entry: Entry.describe('The file’s Dropbox metadata.') }),
  async run(input, ctx) {
    const response = await ctx.client.content(
      '/2/files/download',
      { path: input.path },
      undefined,
      ctx.signal,
    );
    let meta: unknown = { name: input.path.split('/').pop() ?? 'file' };
    try {
      meta = DropboxMetadata.parse(JSON.parse(response.headers.get('dropbox-api-result') ?? ''));
    } catch {}
    const entry = toEntry(meta, 'file');
    const length = Number(response.headers.get('content-length') ?? Number.NaN);
    const file = await ctx.files.write(
      { name: entry.name, ...(Number.isFinite(length) ? { expectedSize: length } : {}) },
      response.body ?? new Uint8Array(),
    );
    return { file, entry };
  },
});
