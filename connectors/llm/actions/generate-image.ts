import { z } from 'zod';
import { FileRef } from '../../sdk/files.ts';
import { action } from '../kit.ts';
import { generateImage as drawImage, resolveModel } from '../media-client.ts';
import { providerLacks } from '../media-files.ts';

/** What a dry run shows for the generated file: a well-formed reference to a small placeholder PNG. */
export const SIMULATED_IMAGE: FileRef = {
  id: 'f_simulatedGeneratedImage0001',
  name: 'image.png',
  contentType: 'image/png',
  size: 68,
  sha256: '0000000000000000000000000000000000000000000000000000000000000000',
};

export const GenerateImageInput = z.strictObject({
  prompt: z
    .string()
    .min(1)
    .max(32_000)
    .describe('What the image shows, its style and composition, e.g. "A watercolour fox in a snowy forest".'),
  size: z
    .string()
    .regex(/^(\d{2,5}x\d{2,5}|auto)$/, 'WIDTHxHEIGHT (e.g. 1024x1024) or auto')
    .optional()
    .describe(
      'Image size as WIDTHxHEIGHT, e.g. "1024x1024", "1536x1024", "1024x1536", or "auto"; what a model allows varies.',
    ),
  model: z
    .string()
    .min(1)
    .optional()
    .describe('An image model, e.g. "gpt-image-1.5" (or the server’s); defaults to the credential’s model.'),
  quality: z
    .enum(['low', 'medium', 'high', 'auto'])
    .optional()
    .describe('Rendering quality for GPT image models (low is fastest and cheapest).'),
  outputFormat: z
    .enum(['png', 'jpeg', 'webp'])
    .optional()
    .describe('File format for GPT image models; default png.'),
  fileName: z
    .string()
    .min(1)
    .max(200)
    .regex(/^[^/\\]+$/, 'a file name without folders')
    .optional()
    .describe(
      'Name of the stored file, e.g. "banner.png"; default "image.png" ("image.jpg", "image.webp" for those formats).',
    ),
});

export const GenerateImageOutput = z.strictObject({
  file: FileRef.meta({ examples: [SIMULATED_IMAGE] }).describe(
    'The generated image, stored as a file of the run: pass it on, e.g. as `body` of http.request or a multipart part.',
  ),
  model: z.string().describe('The model that drew it.'),
  revisedPrompt: z.string().optional().describe('The prompt as the model rewrote it, when it says.'),
});

/** The extension of an image format from its first bytes (the store records the type from them too). */
export function imageExtension(bytes: Uint8Array): string {
  const starts = (...values: number[]) => values.every((value, index) => bytes[index] === value);
  if (starts(0x89, 0x50, 0x4e, 0x47)) return 'png';
  if (starts(0xff, 0xd8, 0xff)) return 'jpg';
  if (starts(0x47, 0x49, 0x46, 0x38)) return 'gif';
  if (starts(0x52, 0x49, 0x46, 0x46) && String.fromCharCode(...bytes.subarray(8, 12)) === 'WEBP')
    return 'webp';
  return 'bin';
}

export const generateImage = action({
  key: 'generateImage',
  title: 'Generate an image with an LLM provider',
  description:
    'Draw one image from a text prompt with an OpenAI or OpenAI-compatible /images/generations endpoint and store it ' +
    'as a file of the run (`file`), for a later step to upload or send. Not available with an Anthropic credential.',
  effect: 'read',
  idempotent: true,
  input: GenerateImageInput,
  output: GenerateImageOutput,
  async run(input, ctx) {
    const where = 'llm.generateImage';
    const credential = ctx.credential!;
    if (credential.provider === 'anthropic') throw providerLacks(where, 'image generation');
    const model = resolveModel(where, input.model, credential, 'gpt-image-1.5');
    const image = await drawImage(
      { credential, env: ctx.env, signal: ctx.signal },
      {
        prompt: input.prompt,
        model,
        size: input.size,
        quality: input.quality,
        outputFormat: input.outputFormat,
      },
    );
    const extension = imageExtension(image.bytes);
    const name = input.fileName ?? `image.${extension}`;
    const file = await ctx.files.write({ name, expectedSize: image.bytes.byteLength }, image.bytes);
    return {
      file,
      model: image.model,
      ...(image.revisedPrompt ? { revisedPrompt: image.revisedPrompt } : {}),
    };
  },
});
