import { z } from 'zod';
import { defineAction } from '../../sdk/define.ts';
import { describeNamed } from '../../sdk/describe-target.ts';
import { FileRef } from '../../sdk/files.ts';
import type { RestClient } from '../../sdk/rest/index.ts';
import type { WordpressCredential } from '../client.ts';
import { dispositionFileName } from '../site-url.ts';

export const UploadMediaInput = z.strictObject({
  file: FileRef.describe('The file to upload, from an earlier step, e.g. "{{ steps.render.output.file }}".'),
  fileName: z
    .string()
    .min(1)
    .max(200)
    .optional()
    .describe('The file name on the site, e.g. "hero.jpg"; default the file’s own name.'),
  title: z.string().max(1000).optional().describe('The media title, e.g. "Spring sale banner".'),
  altText: z
    .string()
    .max(1000)
    .optional()
    .describe('Alternative text for screen readers, e.g. "A red bicycle".'),
  caption: z.string().max(5000).optional().describe('A caption shown under the image, e.g. "Photo: Ana".'),
  postId: z.number().int().positive().optional().describe('Attach the media to this post id, e.g. 1204.'),
});

const MediaBody = z.object({
  id: z.number().int(),
  source_url: z.string(),
  link: z.string().optional(),
  mime_type: z.string().optional(),
  media_type: z.string().optional(),
  title: z.object({ rendered: z.string() }).loose().optional(),
  alt_text: z.string().optional(),
});

export const Media = z.object({
  id: z.number().int().describe('The media id (use it as featuredMediaId).'),
  url: z.string().describe('The address of the uploaded file.'),
  link: z.string().nullable().describe('The attachment page.'),
  mimeType: z.string().nullable().describe('The media type WordPress stored, e.g. image/jpeg.'),
  title: z.string().describe('The title as rendered.'),
  altText: z.string().describe('The alternative text.'),
});

function toMedia(raw: unknown): z.infer<typeof Media> {
  const media = MediaBody.parse(raw);
  return {
    id: media.id,
    url: media.source_url,
    link: media.link ?? null,
    mimeType: media.mime_type ?? null,
    title: media.title?.rendered ?? '',
    altText: media.alt_text ?? '',
  };
}

/**
 * POST /media takes the raw bytes with `Content-Disposition: attachment; filename=…` (the file name decides the
 * type WordPress allows); title, alt text, caption and the parent post are set by a second request on the new item.
 */
export const uploadMedia = defineAction<
  typeof UploadMediaInput,
  typeof Media,
  WordpressCredential,
  RestClient
>({
  key: 'uploadMedia',
  title: 'Upload a file to the WordPress media library',
  description:
    'Put an image, PDF or other file from an earlier step into a WordPress site’s media library (with title, alt text and caption); its id can then be a post’s featured image.',
  effect: 'write',
  idempotent: false,
  describeTarget: (withValue) =>
    describeNamed('the WordPress media library, file', withValue.fileName ?? 'from the earlier step'),
  input: UploadMediaInput,
  output: Media,
  async run(input, ctx) {
    const { ref, stream } = await ctx.files.read(input.file);
    const fileName = dispositionFileName(input.fileName ?? ref.name);
    const created = await ctx.client.send(
      {
        method: 'POST',
        path: '/media',
        headers: { 'content-disposition': `attachment; filename="${fileName}"` },
        stream: { stream, length: ref.size, contentType: ref.contentType },
      },
      ctx.signal,
    );
    const media = toMedia(created.body);
    const details = {
      title: input.title,
      alt_text: input.altText,
      caption: input.caption,
      post: input.postId,
    };
    if (Object.values(details).every((value) => value === undefined)) return media;
    const updated = await ctx.client.send(
      { method: 'POST', path: `/media/${media.id}`, json: details },
      ctx.signal,
    );
    return toMedia(updated.body);
  },
});
