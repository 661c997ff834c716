import { ConnectorError } from '../sdk/connector-error.ts';
import type { FilePort, FileRef } from '../sdk/files.ts';
import type { LlmCredential } from './client.ts';

const MiB = 1024 * 1024;

export const VISION_IMAGE_TYPES = ['image/png', 'image/jpeg', 'image/gif', 'image/webp'] as const;
export type VisionImageType = (typeof VISION_IMAGE_TYPES)[number];

/**
 * The largest file each provider takes inline. Anthropic measures its 5 MiB image limit on the base64 text, so the
 * bytes may be 3/4 of it; PDFs are capped so that their base64 stays within both providers' 32 MB request limits.
 */
export const VISION_LIMITS: Record<LlmCredential['provider'], { image: number; pdf: number }> = {
  anthropic: { image: (5 * MiB * 3) / 4, pdf: 20 * MiB },
  openai: { image: 20 * MiB, pdf: 20 * MiB },
};

/** OpenAI's /audio/transcriptions limit per file (what its API answers 413 past). */
export const TRANSCRIPTION_MAX_BYTES = 25 * MiB;

/**
 * The audio formats /audio/transcriptions accepts, by the content type the file store recorded (sniffed from the
 * bytes), with the file extension the API uses to recognise the format.
 */
export const TRANSCRIPTION_EXTENSIONS: Readonly<Record<string, string>> = {
  'audio/flac': 'flac',
  'audio/x-flac': 'flac',
  'audio/mpeg': 'mp3',
  'audio/mp3': 'mp3',
  'audio/mp4': 'm4a',
  'audio/x-m4a': 'm4a',
  'video/mp4': 'mp4',
  'video/mpeg': 'mpeg',
  'audio/ogg': 'ogg',
  'audio/wav': 'wav',
  'audio/x-wav': 'wav',
  'audio/wave': 'wav',
  'audio/webm': 'webm',
  'video/webm': 'webm',
};

/** A media type without its parameters, lower case (`audio/ogg; codecs=opus` → `audio/ogg`). */
export function bareMediaType(contentType: string): string {
  return (contentType.split(';')[0] ?? '').trim().toLowerCase();
}

export function fileTooLarge(where: string, ref: FileRef, limit: number, hint: string): ConnectorError {
  return new ConnectorError({
    code: 'E_FILE_TOO_LARGE',
    message: `${where}: the file "${ref.name}" has ${ref.size} bytes; this call takes at most ${limit} bytes.`,
    retryable: false,
    hint,
    details: { size: ref.size, limitBytes: limit },
  });
}

export function unsupportedFileType(
  where: string,
  ref: FileRef,
  accepted: string,
  hint: string,
): ConnectorError {
  return new ConnectorError({
    code: 'E_UNSUPPORTED_MEDIA_TYPE',
    message: `${where}: the file "${ref.name}" is ${ref.contentType}; this call takes ${accepted}.`,
    retryable: false,
    hint,
    details: { contentType: ref.contentType },
  });
}

export function providerLacks(where: string, feature: string): ConnectorError {
  return new ConnectorError({
    code: 'E_UNSUPPORTED_PROVIDER',
    message: `${where}: the Anthropic API has no ${feature}.`,
    retryable: false,
    hint: 'Use an llm credential with "provider": "openai": OpenAI itself, or an OpenAI-compatible server that offers it (give its "baseUrl").',
  });
}

/** The whole content of a stored file of the run, refusing more than `limit` bytes. */
export async function readAll(stream: ReadableStream<Uint8Array>, limit: number): Promise<Buffer> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of stream) {
    size += chunk.byteLength;
    // Leaving the loop cancels the stream.
    if (size > limit) throw new Error(`the stored file grew past ${limit} bytes while it was read`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

export type VisionFile = {
  kind: 'image' | 'pdf';
  mediaType: VisionImageType | 'application/pdf';
  name: string;
  base64: string;
};

/**
 * A file of the run as a model input: an image (png, jpeg, gif, webp) or a PDF, by the type the store sniffed from
 * its bytes (never the type the reference claims: a reference comes from step data), within the provider's limit.
 */
export async function readVisionFile(
  files: FilePort,
  reference: FileRef,
  provider: LlmCredential['provider'],
  where: string,
): Promise<VisionFile> {
  const { ref, stream } = await files.read(reference);
  try {
    const type = bareMediaType(ref.contentType);
    const image = (VISION_IMAGE_TYPES as readonly string[]).includes(type);
    if (!image && type !== 'application/pdf') {
      throw unsupportedFileType(
        where,
        ref,
        'a PNG, JPEG, GIF or WebP image, or a PDF',
        'Pass an image or PDF file (the type is read from the bytes, not the name); convert other formats first.',
      );
    }
    const limit = image ? VISION_LIMITS[provider].image : VISION_LIMITS[provider].pdf;
    if (ref.size > limit) {
      throw fileTooLarge(
        where,
        ref,
        limit,
        image
          ? 'Send a smaller image: scale it down (about 1500 px on the long side is plenty) or save it as JPEG.'
          : 'Send a shorter PDF: split it and ask about the pages you need.',
      );
    }
    const bytes = await readAll(stream, limit);
    return {
      kind: image ? 'image' : 'pdf',
      mediaType: type as VisionFile['mediaType'],
      name: ref.name,
      base64: bytes.toString('base64'),
    };
  } finally {
    await stream.cancel().catch(() => {});
  }
}
