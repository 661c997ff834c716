import { z } from 'zod';
import { multipartBody } from '../http/file-bodies.ts';
import { ConnectorError, connectorErrorFromStatus } from '../sdk/connector-error.ts';
import type { ConnectorEnvironment } from '../sdk/define.ts';
import type { FilePort, FileRef } from '../sdk/files.ts';
import { findConnectorError } from '../sdk/outbound/blocked-destination-error.ts';
import type { SafeRequestInit } from '../sdk/safe-fetch.ts';
import { type Completion, type LlmCredential, toLlmError } from './client.ts';
import type { VisionFile } from './media-files.ts';

// Calls that carry files: a question about an image or PDF (both providers' SDKs), an audio transcription (a
// multipart upload streamed from the file store, so through env.fetch directly) and an image generation.

const OPENAI_BASE_URL = 'https://api.openai.com/v1';
/** Transcribing and drawing take longer than a chat answer; the step's own timeout still applies. */
const MEDIA_TIMEOUT_MS = 300_000;
/** A generated image comes back as base64 inside JSON. */
const IMAGE_RESPONSE_MAX_BYTES = 64 * 1024 * 1024;

export type MediaCall = { credential: LlmCredential; env: ConnectorEnvironment; signal: AbortSignal };

export function resolveModel(
  where: string,
  model: string | undefined,
  credential: LlmCredential,
  example: string,
) {
  const chosen = model ?? credential.model;
  if (!chosen) {
    throw new ConnectorError({
      code: 'E_PARAMS',
      message: `${where}: no model given.`,
      retryable: false,
      hint: `Set \`model\` in the node’s \`with\` (e.g. "${example}"), or a default \`model\` in the llm credential.`,
    });
  }
  return chosen;
}

/** env.fetch with the limits of a media call (the SDKs pass their own init through). */
function mediaFetch(env: ConnectorEnvironment, limits: Pick<SafeRequestInit, 'maxResponseBytes'> = {}) {
  const send = (input: RequestInfo | URL, init?: RequestInit) =>
    env.fetch(input, { ...init, timeoutMs: MEDIA_TIMEOUT_MS, ...limits } as SafeRequestInit);
  return send as typeof fetch;
}

const baseUrlOf = (call: MediaCall) => call.credential.baseUrl ?? call.env.baseUrls.llm;

export type VisionRequest = {
  file: VisionFile;
  prompt: string;
  system?: string | undefined;
  model: string;
  maxTokens: number;
  temperature?: number | undefined;
  detail?: 'auto' | 'low' | 'high' | undefined;
};

/** One user turn with the file first and the question after it, in the provider's wire format. */
export async function askAboutFile(call: MediaCall, request: VisionRequest): Promise<Completion> {
  const { credential, signal } = call;
  const { file } = request;
  if (credential.provider === 'anthropic') {
    const Sdk = (await import('@anthropic-ai/sdk')).default;
    const sdk = new Sdk({
      apiKey: credential.apiKey,
      baseURL: baseUrlOf(call),
      maxRetries: 0,
      fetch: mediaFetch(call.env),
    });
    const media =
      file.kind === 'pdf'
        ? {
            type: 'document' as const,
            source: { type: 'base64' as const, media_type: 'application/pdf' as const, data: file.base64 },
          }
        : {
            type: 'image' as const,
            source: {
              type: 'base64' as const,
              media_type: file.mediaType as Exclude<VisionFile['mediaType'], 'application/pdf'>,
              data: file.base64,
            },
          };
    try {
      const message = await sdk.messages.create(
        {
          model: request.model,
          max_tokens: request.maxTokens,
          ...(request.system ? { system: request.system } : {}),
          ...(request.temperature === undefined ? {} : { temperature: request.temperature }),
          messages: [{ role: 'user', content: [media, { type: 'text', text: request.prompt }] }],
        },
        { signal },
      );
      return {
        text: message.content
          .map((block) => (block.type === 'text' ? block.text : ''))
          .join('')
          .trim(),
        model: message.model,
        stopReason: message.stop_reason ?? 'unknown',
        usage: { inputTokens: message.usage.input_tokens, outputTokens: message.usage.output_tokens },
      };
    } catch (error) {
      throw toLlmError(error, Sdk);
    }
  }
  const Sdk = (await import('openai')).default;
  const sdk = new Sdk({
    apiKey: credential.apiKey,
    baseURL: baseUrlOf(call),
    maxRetries: 0,
    fetch: mediaFetch(call.env),
  });
  const dataUrl = `data:${file.mediaType};base64,${file.base64}`;
  const media =
    file.kind === 'pdf'
      ? { type: 'file' as const, file: { filename: file.name, file_data: dataUrl } }
      : {
          type: 'image_url' as const,
          image_url: { url: dataUrl, ...(request.detail ? { detail: request.detail } : {}) },
        };
  try {
    const completion = await sdk.chat.completions.create(
      {
        model: request.model,
        max_tokens: request.maxTokens,
        ...(request.temperature === undefined ? {} : { temperature: request.temperature }),
        messages: [
          ...(request.system ? [{ role: 'system' as const, content: request.system }] : []),
          { role: 'user' as const, content: [{ type: 'text' as const, text: request.prompt }, media] },
        ],
      },
      { signal },
    );
    const choice = completion.choices[0];
    return {
      text: (choice?.message.content ?? '').trim(),
      model: completion.model,
      stopReason: choice?.finish_reason ?? 'unknown',
      usage: {
        inputTokens: completion.usage?.prompt_tokens ?? 0,
        outputTokens: completion.usage?.completion_tokens ?? 0,
      },
    };
  } catch (error) {
    throw toLlmError(error, Sdk);
  }
}

/** The `error.message` of an OpenAI-style error body, else a short, printable start of the body. */
async function vendorMessage(response: Response): Promise<string> {
  const text = await response.text().catch(() => '');
  try {
    const parsed = JSON.parse(text) as { error?: { message?: unknown } | string; message?: unknown };
    const message =
      typeof parsed.error === 'string'
        ? parsed.error
        : typeof parsed.error?.message === 'string'
          ? parsed.error.message
          : typeof parsed.message === 'string'
            ? parsed.message
            : undefined;
    if (message) return message.slice(0, 500);
  } catch {}
  return text.replace(/\s+/g, ' ').slice(0, 200) || response.statusText || 'no message';
}

function networkError(error: unknown, where: string): never {
  const inner = findConnectorError(error);
  if (inner) throw inner;
  if (error instanceof Error && error.name === 'AbortError') throw error;
  throw new ConnectorError({
    code: 'E_NETWORK',
    message: `${where}: could not reach the provider (${error instanceof Error ? error.message : String(error)}).`,
    retryable: true,
    hint: 'Usually temporary; the step is retried. If it persists, check the credential’s baseUrl.',
    cause: error,
  });
}

export type TranscriptionRequest = {
  file: FileRef;
  /** The name sent for the file part: the API tells the format by its extension. */
  fileName: string;
  model: string;
  language?: string | undefined;
  prompt?: string | undefined;
  temperature?: number | undefined;
};

const TranscriptionAnswer = z.object({ text: z.string() });

/** POST {baseUrl}/audio/transcriptions as multipart/form-data, the file streamed from the run's store. */
export async function transcribe(
  call: MediaCall,
  files: FilePort,
  request: TranscriptionRequest,
): Promise<{ text: string }> {
  const where = 'llm.transcribe';
  const url = `${(baseUrlOf(call) ?? OPENAI_BASE_URL).replace(/\/+$/, '')}/audio/transcriptions`;
  const body = await multipartBody(files, [
    { name: 'file', file: request.file, fileName: request.fileName },
    { name: 'model', value: request.model },
    { name: 'response_format', value: 'json' },
    ...(request.language ? [{ name: 'language', value: request.language }] : []),
    ...(request.prompt ? [{ name: 'prompt', value: request.prompt }] : []),
    ...(request.temperature === undefined ? [] : [{ name: 'temperature', value: request.temperature }]),
  ]);
  let response: Response;
  try {
    response = await call.env.fetch(url, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${call.credential.apiKey}`,
        'content-type': body.contentType,
        'content-length': String(body.length),
        accept: 'application/json',
      },
      body: body.stream,
      duplex: 'half',
      signal: call.signal,
      timeoutMs: MEDIA_TIMEOUT_MS,
    } as SafeRequestInit);
  } catch (error) {
    await body.stream.cancel().catch(() => {});
    networkError(error, where);
  }
  if (!response.ok) {
    throw connectorErrorFromStatus({
      connector: 'llm',
      status: response.status,
      message: `${where}: ${await vendorMessage(response)}`,
      retryAfter: response.headers.get('retry-after'),
      hint:
        response.status === 401 || response.status === 403
          ? 'Check the llm credential’s apiKey (and baseUrl for compatible servers), then re-set it.'
          : response.status === 404
            ? 'The server has no /audio/transcriptions endpoint or no such model: check `model` (e.g. "gpt-4o-mini-transcribe", "whisper-1") and the credential’s baseUrl.'
            : response.status === 400 || response.status === 413 || response.status === 422
              ? 'The server refused the audio: check `model` is a transcription model and the file is speech in a supported format (flac, mp3, mp4, m4a, ogg, wav, webm) under 25 MiB.'
              : undefined,
    });
  }
  const answer = TranscriptionAnswer.safeParse(await response.json().catch(() => undefined));
  if (!answer.success) {
    throw new ConnectorError({
      code: 'E_UPSTREAM',
      message: `${where}: the server's answer has no \`text\`.`,
      retryable: true,
      hint: 'The server is OpenAI-compatible only in part; check the credential’s baseUrl.',
    });
  }
  return { text: answer.data.text };
}

export type ImageRequest = {
  prompt: string;
  model: string;
  size?: string | undefined;
  quality?: string | undefined;
  outputFormat?: 'png' | 'jpeg' | 'webp' | undefined;
};

/** GPT image models always answer with base64 and reject `response_format`; older and compatible ones need it. */
const alwaysBase64 = (model: string) => /^(gpt-image|chatgpt-image)/.test(model);

export type GeneratedImage = { bytes: Buffer; revisedPrompt?: string | undefined; model: string };

/** POST {baseUrl}/images/generations for one image; a URL answer (some compatible servers) is downloaded. */
export async function generateImage(call: MediaCall, request: ImageRequest): Promise<GeneratedImage> {
  const where = 'llm.generateImage';
  const Sdk = (await import('openai')).default;
  const sdk = new Sdk({
    apiKey: call.credential.apiKey,
    baseURL: baseUrlOf(call),
    maxRetries: 0,
    fetch: mediaFetch(call.env, { maxResponseBytes: IMAGE_RESPONSE_MAX_BYTES }),
  });
  let image: { b64_json?: string | undefined; url?: string | undefined; revised_prompt?: string | undefined };
  try {
    const answer = await sdk.images.generate(
      {
        model: request.model,
        prompt: request.prompt,
        n: 1,
        ...(request.size ? { size: request.size } : {}),
        ...(request.quality ? { quality: request.quality as 'auto' } : {}),
        ...(request.outputFormat ? { output_format: request.outputFormat } : {}),
        ...(alwaysBase64(request.model) ? {} : { response_format: 'b64_json' as const }),
      },
      { signal: call.signal },
    );
    const first = answer.data?.[0];
    if (!first) throw missingImage(where);
    image = first;
  } catch (error) {
    throw toLlmError(error, Sdk);
  }
  if (image.b64_json) {
    return {
      bytes: Buffer.from(image.b64_json, 'base64'),
      revisedPrompt: image.revised_prompt,
      model: request.model,
    };
  }
  if (!image.url) throw missingImage(where);
  let response: Response;
  try {
    response = await call.env.fetch(image.url, {
      signal: call.signal,
      timeoutMs: MEDIA_TIMEOUT_MS,
      maxResponseBytes: IMAGE_RESPONSE_MAX_BYTES,
    } as SafeRequestInit);
  } catch (error) {
    networkError(error, where);
  }
  if (!response.ok) {
    await response.body?.cancel().catch(() => {});
    throw connectorErrorFromStatus({
      connector: 'llm',
      status: response.status,
      message: `${where}: downloading the generated image failed`,
    });
  }
  return {
    bytes: Buffer.from(await response.arrayBuffer()),
    revisedPrompt: image.revised_prompt,
    model: request.model,
  };
}

function missingImage(where: string): ConnectorError {
  return new ConnectorError({
    code: 'E_UPSTREAM',
    message: `${where}: the answer holds no image.`,
    retryable: true,
    hint: 'Retried automatically; if it persists, the server is not OpenAI-compatible for images (check baseUrl).',
  });
}
