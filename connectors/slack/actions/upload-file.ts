import { z } from 'zod';
import { ConnectorError } from '../../sdk/connector-error.ts';
import { describeNamed } from '../../sdk/describe-target.ts';
import { FileRef } from '../../sdk/files.ts';
import { callSlack } from '../client.ts';
import { checkedUploadUrl, sendUploadBytes } from '../file-transfer.ts';
import { action } from '../kit.ts';

export const UploadFileInput = z.strictObject({
  channel: z
    .string()
    .regex(/^[CGD][A-Z0-9]{2,}$/, 'a Slack channel ID (C…, G… or D…); uploads take IDs, not #names')
    .describe('ID of the channel to share the file in (C…; the app must be a member).'),
  file: FileRef.describe(
    'The file to upload: a file reference from a step output, e.g. `{{ steps.report.output.file }}`.',
  ),
  title: z.string().min(1).max(255).optional().describe("Title shown for the file; default the file's name."),
  fileName: z
    .string()
    .min(1)
    .max(255)
    .regex(/^[^/\\]+$/, 'a file name without folders')
    .optional()
    .describe("The file name Slack shows and offers for download; default the file's name."),
  initialComment: z
    .string()
    .min(1)
    .max(40_000)
    .optional()
    .describe('Message text (mrkdwn) posted with the file.'),
  threadTs: z
    .string()
    .regex(/^\d+\.\d+$/, 'a message ts like 1712345678.000100')
    .optional()
    .describe('Share the file as a reply in this thread: the ts of the parent message.'),
});
export type UploadFileInput = z.infer<typeof UploadFileInput>;

export const UploadFileOutput = z.object({
  fileId: z.string().describe('Slack id of the uploaded file (F…), e.g. for slack.downloadFile.'),
  channel: z.string().describe('ID of the channel the file was shared in.'),
  title: z.string().describe('The title Slack shows.'),
  permalink: z.string().optional().describe('Link to the file in Slack, when Slack gave one.'),
});
export type UploadFileOutput = z.infer<typeof UploadFileOutput>;

const CompletedFile = z.object({
  id: z.string(),
  title: z.string().optional(),
  permalink: z.string().optional(),
});

export const uploadFile = action({
  key: 'uploadFile',
  title: 'Upload a file to Slack',
  description:
    'Upload a file from a step output (a report, an image, a PDF) and share it in a Slack channel or thread, with an optional message. A retry after a lost answer may share it twice.',
  effect: 'write',
  idempotent: false,
  describeTarget: (withValue) => describeNamed('the Slack channel', withValue.channel),
  input: UploadFileInput,
  output: UploadFileOutput,
  async run(input, ctx) {
    // Checked before Slack is called: a reference to another run's file fails here.
    const stored = await ctx.files.read(input.file);
    await stored.stream.cancel().catch(() => {});
    const ref = stored.ref;
    const filename = input.fileName ?? ref.name;
    const title = input.title ?? filename;
    const ticket = await callSlack('files.getUploadURLExternal', () =>
      ctx.client.files.getUploadURLExternal({ filename, length: ref.size }),
    );
    const uploadUrl = checkedUploadUrl(ticket.upload_url, ctx.env);
    const fileId = ticket.file_id;
    if (!fileId) {
      throw new ConnectorError({
        code: 'E_UPSTREAM',
        message: 'slack files.getUploadURLExternal answered no file_id; nothing was uploaded.',
        retryable: true,
        hint: 'A temporary Slack failure; the step is retried.',
      });
    }
    await sendUploadBytes({ env: ctx.env, files: ctx.files, signal: ctx.signal }, uploadUrl, ref);
    const destination = input.threadTs
      ? { channel_id: input.channel, thread_ts: input.threadTs }
      : { channel_id: input.channel };
    const completed = await callSlack('files.completeUploadExternal', () =>
      ctx.client.files.completeUploadExternal({
        files: [{ id: fileId, title }],
        ...destination,
        ...(input.initialComment ? { initial_comment: input.initialComment } : {}),
      }),
    );
    const shared = CompletedFile.safeParse(completed.files?.[0]);
    return {
      fileId: shared.success ? shared.data.id : fileId,
      channel: input.channel,
      title: (shared.success ? shared.data.title : undefined) ?? title,
      ...(shared.success && shared.data.permalink ? { permalink: shared.data.permalink } : {}),
    };
  },
});
