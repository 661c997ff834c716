import { z } from 'zod';
import { ConnectorError } from '../../sdk/connector-error.ts';
import { describeNamed } from '../../sdk/describe-target.ts';
import { FileRef } from '../../sdk/files.ts';
import { DropboxPath, Entry, toEntry } from '../client.ts';
import { action } from '../kit.ts';

/** /2/files/upload takes at most 150 MiB; bigger files need an upload session. */
const MAX_UPLOAD_BYTES = 150 * 1024 * 1024;

export const uploadFile = action({
  key: 'uploadFile',
  title: 'Upload a file to Dropbox',
  description:
    'Save a file of the run (an attachment, a generated report) to a path in Dropbox, up to 150 MiB. By default an ' +
    'existing file at that path is kept and the new one gets a "(1)" name; mode "overwrite" replaces it.',
  effect: 'write',
  // "add" with autorename would add a second copy on a retry; "overwrite" with the same bytes would not.
  idempotent: false,
  describeTarget: (withValue) => describeNamed('the Dropbox path', withValue.path),
  input: z.strictObject({
    path: DropboxPath.describe('Where to save it, with the file name, e.g. "/Invoices/2026/1042.pdf".'),
    file: FileRef,
    mode: z
      .enum(['add', 'overwrite'])
      .default('add')
      .describe(
        '"add" (default): never replace, rename on a conflict; "overwrite": replace a file at the path.',
      ),
    mute: z.boolean().default(false).describe('true: do not notify the user’s desktop apps of the change.'),
  }),
  output: Entry,
  async run(input, ctx) {
    const { ref, stream } = await ctx.files.read(input.file);
    if (ref.size > MAX_UPLOAD_BYTES) {
      await stream.cancel();
      throw new ConnectorError({
        code: 'E_TOO_LARGE',
        message: `dropbox.uploadFile: the file is ${ref.size} bytes; a single upload takes at most 150 MiB.`,
        retryable: false,
        hint: 'Upload a smaller file, or compress it first (compression.zip).',
      });
    }
    const response = await ctx.client.content(
      '/2/files/upload',
      {
        path: input.path,
        mode: input.mode,
        autorename: input.mode === 'add',
        mute: input.mute,
        strict_conflict: false,
      },
      { stream, length: ref.size },
      ctx.signal,
    );
    return toEntry(await response.json(), 'file');
  },
});
