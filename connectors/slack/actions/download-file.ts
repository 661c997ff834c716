import { z } from 'zod';
import { responseFileName } from '../../http/file-bodies.ts';
import { ConnectorError } from '../../sdk/connector-error.ts';
import { FileRef } from '../../sdk/files.ts';
import { callSlack } from '../client.ts';
import { checkedDownloadUrl, openSlackDownload, SlackFileInfo } from '../file-transfer.ts';
import { action } from '../kit.ts';

export const DownloadFileInput = z
  .strictObject({
    url: z
      .url({ protocol: /^https?$/ })
      .optional()
      .describe(
        "The file's url_private or url_private_download (on files.slack.com), e.g. `{{ trigger.files[0].urlPrivate }}`. Give `url` or `fileId`.",
      ),
    fileId: z
      .string()
      .regex(/^F[A-Z0-9]{2,}$/, 'a Slack file id (F…)')
      .optional()
      .describe('The Slack file id (F…); its URL is looked up with files.info. Give `url` or `fileId`.'),
    fileName: z
      .string()
      .min(1)
      .max(255)
      .regex(/^[^/\\]+$/, 'a file name without folders')
      .optional()
      .describe("Name of the stored file; default Slack's name for it."),
  })
  .refine((value) => (value.url === undefined) !== (value.fileId === undefined), {
    message: 'give exactly one of url and fileId',
    path: ['url'],
  });
export type DownloadFileInput = z.infer<typeof DownloadFileInput>;

export const DownloadFileOutput = z.object({
  file: FileRef.describe(
    'The downloaded file, stored as a file of the run: pass it on, e.g. to llm.describeImage, file.extract or discord.sendMessage `files`.',
  ),
  slackFileId: z.string().optional().describe('The Slack file id, when it was given or looked up.'),
});
export type DownloadFileOutput = z.infer<typeof DownloadFileOutput>;

function noToken(): ConnectorError {
  return new ConnectorError({
    code: 'E_CREDENTIAL',
    message: 'slack.downloadFile needs the slack credential (a bot token with files:read).',
    retryable: false,
    hint: 'Set "credential" on the node to a stored slack credential: `vmesh credentials set NAME --type slack`.',
  });
}

export const downloadFile = action({
  key: 'downloadFile',
  title: 'Download a file from Slack',
  description:
    'Download a file people shared in Slack (by its url_private or file id) with the bot token and store it as a file of the run, for later steps to read, convert or send on.',
  effect: 'read',
  idempotent: true,
  input: DownloadFileInput,
  output: DownloadFileOutput,
  async run(input, ctx) {
    const token = ctx.credential?.token;
    if (!token) throw noToken();
    let info: SlackFileInfo | undefined;
    if (input.fileId) {
      const fileId = input.fileId;
      const answer = await callSlack('files.info', () => ctx.client.files.info({ file: fileId }));
      info = SlackFileInfo.parse(answer.file ?? { id: fileId });
    }
    const address = input.url ?? info?.url_private_download ?? info?.url_private;
    if (!address) {
      throw new ConnectorError({
        code: 'E_UPSTREAM',
        message: `slack files.info gave no url_private for ${input.fileId}.`,
        retryable: false,
        hint: 'The file may be external (a Google Drive link) or still processing; check it in Slack.',
      });
    }
    const start = checkedDownloadUrl(address, ctx.env);
    const { response, url } = await openSlackDownload({ env: ctx.env, signal: ctx.signal, token }, start);
    const declared = Number(response.headers.get('content-length'));
    try {
      const file = await ctx.files.write(
        {
          name:
            input.fileName ??
            info?.name ??
            responseFileName(response.headers.get('content-disposition'), url),
          contentType: response.headers.get('content-type') ?? info?.mimetype,
          expectedSize:
            response.headers.has('content-length') && Number.isFinite(declared) ? declared : undefined,
        },
        response.body ?? new Uint8Array(0),
      );
      const slackFileId = info?.id ?? /\/files-pri\/[A-Z0-9]+-(F[A-Z0-9]+)\//.exec(start.pathname)?.[1];
      return { file, ...(slackFileId ? { slackFileId } : {}) };
    } finally {
      await response.body?.cancel().catch(() => {});
    }
  },
});
