import { z } from 'zod';
import { FileRef } from '../../sdk/files.ts';
import { action } from '../kit.ts';
import { resolveModel, transcribe as transcribeAudio } from '../media-client.ts';
import {
  bareMediaType,
  fileTooLarge,
  providerLacks,
  TRANSCRIPTION_EXTENSIONS,
  TRANSCRIPTION_MAX_BYTES,
  unsupportedFileType,
} from '../media-files.ts';

export const TranscribeInput = z.strictObject({
  file: FileRef.describe(
    'The audio to transcribe (flac, mp3, mp4, m4a, ogg, wav, webm; at most 25 MiB): a file reference from a step output, e.g. "{{ steps.download.output.file }}".',
  ),
  language: z
    .string()
    .regex(/^[a-z]{2}$/, 'an ISO-639-1 code of two lower-case letters, e.g. "en" or "de"')
    .optional()
    .describe('The spoken language as an ISO-639-1 code ("en", "de", "fr"); improves accuracy and speed.'),
  prompt: z
    .string()
    .max(5_000)
    .optional()
    .describe(
      'Optional text to guide the transcription: names, terms and spelling the audio uses, in its language.',
    ),
  model: z
    .string()
    .min(1)
    .optional()
    .describe(
      'A transcription model, e.g. "gpt-4o-mini-transcribe" or "whisper-1" (or the server’s, e.g. "whisper-large-v3"); defaults to the credential’s model.',
    ),
  temperature: z
    .number()
    .min(0)
    .max(1)
    .optional()
    .describe('Sampling temperature 0–1; leave unset for the default.'),
});

export const TranscribeOutput = z.strictObject({
  text: z.string().describe('The transcribed text.'),
  model: z.string().describe('The model that transcribed it.'),
});

export const transcribe = action({
  key: 'transcribe',
  title: 'Transcribe audio to text',
  description:
    'Turn speech in an audio file from an earlier step (a voice message, a call recording, a podcast) into text with ' +
    'an OpenAI or OpenAI-compatible /audio/transcriptions endpoint (Whisper and its successors). Reads only. ' +
    'Not available with an Anthropic credential.',
  effect: 'read',
  idempotent: true,
  input: TranscribeInput,
  output: TranscribeOutput,
  async run(input, ctx) {
    const where = 'llm.transcribe';
    const credential = ctx.credential!;
    if (credential.provider === 'anthropic')
      throw providerLacks(where, 'speech-to-text (audio transcription)');
    const model = resolveModel(where, input.model, credential, 'gpt-4o-mini-transcribe');
    // The stored reference (sniffed type, real size), not the one in the step data.
    const { ref, stream } = await ctx.files.read(input.file);
    await stream.cancel().catch(() => {});
    const extension = TRANSCRIPTION_EXTENSIONS[bareMediaType(ref.contentType)];
    if (!extension) {
      throw unsupportedFileType(
        where,
        ref,
        'audio in flac, mp3, mp4, m4a, ogg, wav or webm',
        'Pass an audio file in one of these formats (the type is read from the bytes, not the name); convert others first.',
      );
    }
    if (ref.size > TRANSCRIPTION_MAX_BYTES) {
      throw fileTooLarge(
        where,
        ref,
        TRANSCRIPTION_MAX_BYTES,
        'Send a shorter recording, or a compressed one (mp3, m4a or ogg instead of wav).',
      );
    }
    const base = ref.name.replace(/\.[A-Za-z0-9]{1,5}$/, '') || 'audio';
    const { text } = await transcribeAudio({ credential, env: ctx.env, signal: ctx.signal }, ctx.files, {
      file: ref,
      fileName: `${base}.${extension}`,
      model,
      language: input.language,
      prompt: input.prompt,
      temperature: input.temperature,
    });
    return { text, model };
  },
});
