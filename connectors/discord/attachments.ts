import { z } from 'zod';
import { multipartBody, type StreamedBody } from '../http/file-bodies.ts';
import { ConnectorError } from '../sdk/connector-error.ts';
import { type FilePort, FileRef } from '../sdk/files.ts';

// Files on a Discord message (https://discord.com/developers/docs/reference#uploading-files): the JSON body goes in
// a `payload_json` part, each file in a `files[n]` part, and the payload's `attachments` names them by `id: n`.

/** Discord's limit of attachments on one message. */
export const DISCORD_MAX_FILES = 10;
/** Discord's default upload limit per file (servers with boosts allow more; those are not known here). */
export const DISCORD_MAX_FILE_BYTES = 20 * 1024 * 1024;

export const DiscordFiles = z
  .array(FileRef)
  .min(1)
  .max(DISCORD_MAX_FILES)
  .describe(
    'Up to 10 files to attach, file references from step outputs (e.g. `["{{ steps.render.output.file }}"]`); each at most 20 MiB. Embeds can show an image attachment as `attachment://<file name>`.',
  );

/** The files checked before anything is sent: each is a file of this run and within Discord's size limit. */
export async function checkedAttachments(files: FilePort, refs: readonly FileRef[], where: string) {
  const checked: FileRef[] = [];
  for (const given of refs) {
    const stored = await files.read(given);
    await stored.stream.cancel().catch(() => {});
    if (stored.ref.size > DISCORD_MAX_FILE_BYTES) {
      throw new ConnectorError({
        code: 'E_FILE_TOO_LARGE',
        message: `${where}: the file "${stored.ref.name}" has ${stored.ref.size} bytes; Discord takes at most ${DISCORD_MAX_FILE_BYTES} bytes per file.`,
        retryable: false,
        hint: 'Send a smaller file (compress or convert it), or share a link to it instead.',
        details: { size: stored.ref.size, limitBytes: DISCORD_MAX_FILE_BYTES },
      });
    }
    checked.push(stored.ref);
  }
  return checked;
}

/** The multipart/form-data body of a message with files, streamed from the run's store. */
export function attachmentsBody(
  files: FilePort,
  payload: Record<string, unknown>,
  refs: readonly FileRef[],
): Promise<StreamedBody> {
  const attachments = refs.map((ref, index) => ({ id: index, filename: ref.name }));
  return multipartBody(files, [
    { name: 'payload_json', value: JSON.stringify({ ...payload, attachments }) },
    ...refs.map((ref, index) => ({ name: `files[${index}]`, file: ref })),
  ]);
}

/** The REST client's request options for a multipart body it passes through as it is. */
export function passThrough(body: StreamedBody) {
  return {
    body: body.stream,
    passThroughBody: true,
    headers: { 'Content-Type': body.contentType, 'Content-Length': String(body.length) },
  };
}

/** What a message's attachments are, as an action's output shows them. */
export const SentAttachments = z
  .array(
    z.object({
      id: z.string().describe('Attachment id.'),
      filename: z.string().describe('File name.'),
      size: z.number().describe('Size in bytes.'),
      url: z.string().describe("Discord's CDN URL of the attachment (signed; it expires)."),
    }),
  )
  .describe('The files attached to the (last) message, as Discord stored them; empty without `files`.');
