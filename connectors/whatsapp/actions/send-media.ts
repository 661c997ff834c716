import { z } from 'zod';
import { ConnectorError } from '../../sdk/connector-error.ts';
import { defineAction } from '../../sdk/define.ts';
import { describeNamed } from '../../sdk/describe-target.ts';
import { FileRef } from '../../sdk/files.ts';
import { multipartBody } from '../../sdk/multipart.ts';
import type { RestClient } from '../../sdk/rest/index.ts';
import {
  envelope,
  Recipient,
  ReplyTo,
  SentMessage,
  toSentMessage,
  type WhatsappCredential,
} from '../client.ts';

export const SendMediaInput = z
  .strictObject({
    to: Recipient,
    kind: z
      .enum(['image', 'document', 'audio', 'video'])
      .describe('What it is: "image" (JPEG/PNG ≤ 5 MB), "document" (PDF, … ≤ 100 MB), "audio" or "video".'),
    file: FileRef.optional().describe(
      'A file of the run to upload and send, e.g. {{ steps.invoice.output.file }} (or give link).',
    ),
    link: z
      .url()
      .optional()
      .describe(
        'Or: a public https URL WhatsApp fetches the media from, e.g. "https://example.com/menu.pdf".',
      ),
    caption: z.string().max(1024).optional().describe('Text under an image, video or document.'),
    filename: z
      .string()
      .min(1)
      .max(240)
      .optional()
      .describe('The file name shown for a document, e.g. "invoice-1042.pdf" (default the file’s name).'),
    replyTo: ReplyTo,
  })
  .refine((input) => (input.file === undefined) !== (input.link === undefined), {
    message: 'give either file or link',
    path: ['file'],
  });

const UploadAnswer = z.object({ id: z.string().min(1) });

export const sendMedia = defineAction<
  typeof SendMediaInput,
  typeof SentMessage,
  WhatsappCredential,
  RestClient
>({
  key: 'sendMedia',
  title: 'Send a WhatsApp image or document',
  description:
    'Send an image, PDF or other document, audio or video to a WhatsApp number: a file of the run is uploaded to WhatsApp first (or WhatsApp fetches a public link).',
  effect: 'write',
  // The Cloud API takes no idempotency key: a retry after a lost answer may send the media twice.
  idempotent: false,
  describeTarget: (withValue) => describeNamed('the WhatsApp number', withValue.to),
  input: SendMediaInput,
  output: SentMessage,
  async run(input, ctx) {
    let media: Record<string, string>;
    if (input.file) {
      const stream = await multipartBody(ctx.files, [
        { name: 'messaging_product', value: 'whatsapp' },
        { name: 'type', value: input.file.contentType },
        { name: 'file', file: input.file },
      ]);
      const uploaded = UploadAnswer.safeParse(
        (await ctx.client.send({ method: 'POST', path: '/media', stream }, ctx.signal)).body,
      );
      if (!uploaded.success) {
        throw new ConnectorError({
          code: 'E_UPSTREAM',
          message: 'whatsapp: the media upload answered without a media id.',
          retryable: true,
          hint: 'Try again; if it persists, check the whatsapp base URL is the Graph API.',
        });
      }
      media = { id: uploaded.data.id };
    } else {
      media = { link: input.link ?? '' };
    }
    const filename = input.kind === 'document' ? (input.filename ?? input.file?.name) : undefined;
    const caption = input.kind === 'audio' ? undefined : input.caption;
    const response = await ctx.client.send(
      {
        method: 'POST',
        path: '/messages',
        json: {
          ...envelope(input.to, input.replyTo),
          type: input.kind,
          [input.kind]: { ...media, ...(caption ? { caption } : {}), ...(filename ? { filename } : {}) },
        },
      },
      ctx.signal,
    );
    return toSentMessage(response);
  },
});
