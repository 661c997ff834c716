import { createHash, randomBytes } from 'node:crypto';
import { crc32, deflateSync } from 'node:zlib';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import {
  type FailureQueue,
  type RecordedRequest,
  recordRequest,
  sendFailure,
} from '../testing/fake-server.ts';

// The media parts of the LLM fake, in the vendors' wire formats: image and PDF inputs to OpenAI chat completions
// (`image_url` data URLs, `file` parts) and Anthropic messages (`image` / `document` blocks with base64 sources),
// checked the way the APIs check them; OpenAI's POST /v1/audio/transcriptions (multipart/form-data) and
// POST /v1/images/generations (b64_json, or a URL for models that answer with one).

const MiB = 1024 * 1024;
const ANTHROPIC_IMAGE_BASE64_MAX = 5 * MiB;
const TRANSCRIPTION_MAX = 25 * MiB;
const TRANSCRIPTION_FORMATS = ['flac', 'm4a', 'mp3', 'mp4', 'mpeg', 'mpga', 'oga', 'ogg', 'wav', 'webm'];
const IMAGE_TYPES = ['image/png', 'image/jpeg', 'image/gif', 'image/webp'];

/** A valid PNG of one colour (8-bit RGB, no interlace). */
export function tinyPng(width: number, height: number, rgb: readonly [number, number, number] = [255, 0, 0]) {
  const chunk = (type: string, data: Buffer) => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body));
    return Buffer.concat([length, body, crc]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8;
  header[9] = 2;
  const row = Buffer.concat([Buffer.from([0]), Buffer.from(Array.from({ length: width }, () => rgb).flat())]);
  const pixels = Buffer.concat(Array.from({ length: height }, () => row));
  return Buffer.concat([
    Buffer.from('89504e470d0a1a0a', 'hex'),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(pixels)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** The media type the first bytes are, among those the vision APIs take. */
export function sniffVisionType(bytes: Buffer): string | undefined {
  if (bytes.subarray(0, 8).equals(Buffer.from('89504e470d0a1a0a', 'hex'))) return 'image/png';
  if (bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'image/jpeg';
  if (bytes.subarray(0, 4).toString('latin1') === 'GIF8') return 'image/gif';
  if (
    bytes.subarray(0, 4).toString('latin1') === 'RIFF' &&
    bytes.subarray(8, 12).toString('latin1') === 'WEBP'
  )
    return 'image/webp';
  if (bytes.subarray(0, 5).toString('latin1') === '%PDF-') return 'application/pdf';
  return undefined;
}

/** Strict base64 (what both APIs require): decodes to bytes that encode back to the same text. */
function decodeBase64(text: string): Buffer | undefined {
  const bytes = Buffer.from(text, 'base64');
  return bytes.toString('base64') === text ? bytes : undefined;
}

type Problem = { status: number; body: unknown };
const openAiProblem = (
  message: string,
  code: string | null = null,
  param: string | null = null,
): Problem => ({
  status: 400,
  body: { error: { message, type: 'invalid_request_error', param, code } },
});
const anthropicProblem = (message: string): Problem => ({
  status: 400,
  body: { type: 'error', error: { type: 'invalid_request_error', message } },
});

type Part = Record<string, unknown>;
const partsOf = (content: unknown): Part[] =>
  Array.isArray(content)
    ? content.filter((part): part is Part => typeof part === 'object' && part !== null)
    : [];

/** Checks the image and file parts of an OpenAI chat request as the API does. */
export function openAiMediaProblem(body: unknown): Problem | undefined {
  const messages = (body as { messages?: { content?: unknown }[] } | undefined)?.messages ?? [];
  for (const [m, message] of messages.entries()) {
    for (const [p, part] of partsOf(message.content).entries()) {
      const param = `messages.[${m}].content.[${p}]`;
      if (part.type === 'image_url') {
        const url = String((part.image_url as { url?: unknown } | undefined)?.url ?? '');
        if (/^https?:\/\//.test(url)) continue;
        const match = /^data:([^;,]+);base64,(.*)$/s.exec(url);
        const bytes = match ? decodeBase64(match[2] ?? '') : undefined;
        if (!match || !bytes)
          return openAiProblem(
            'Invalid image URL: expected a URL or a base64 data URL.',
            'invalid_image_url',
            param,
          );
        const sniffed = sniffVisionType(bytes);
        if (!sniffed || !IMAGE_TYPES.includes(sniffed) || sniffed !== match[1]) {
          return openAiProblem(
            "You uploaded an unsupported image. Please make sure your image has of one the following formats: ['png', 'jpeg', 'gif', 'webp'].",
            'invalid_image_format',
            param,
          );
        }
      } else if (part.type === 'file') {
        const file = (part.file ?? {}) as { filename?: unknown; file_data?: unknown; file_id?: unknown };
        if (typeof file.file_id === 'string') continue;
        const match = /^data:([^;,]+);base64,(.*)$/s.exec(String(file.file_data ?? ''));
        const bytes = match ? decodeBase64(match[2] ?? '') : undefined;
        if (!match || !bytes || typeof file.filename !== 'string') {
          return openAiProblem(
            'Invalid file data: expected a filename and a base64 data URL.',
            'invalid_value',
            `${param}.file`,
          );
        }
        if (match[1] !== 'application/pdf' || sniffVisionType(bytes) !== 'application/pdf') {
          return openAiProblem(
            `Invalid file data: '${param}.file'. Expected a PDF file, got ${match[1]}.`,
            'invalid_value',
            `${param}.file`,
          );
        }
      }
    }
  }
  return undefined;
}

/** Checks the image and document blocks of an Anthropic messages request as the API does. */
export function anthropicMediaProblem(body: unknown): Problem | undefined {
  const messages = (body as { messages?: { content?: unknown }[] } | undefined)?.messages ?? [];
  for (const [m, message] of messages.entries()) {
    for (const [p, block] of partsOf(message.content).entries()) {
      if (block.type !== 'image' && block.type !== 'document') continue;
      const where = `messages.${m}.content.${p}.${block.type}.source.base64`;
      const source = (block.source ?? {}) as { type?: unknown; media_type?: unknown; data?: unknown };
      if (source.type !== 'base64') continue;
      const data = String(source.data ?? '');
      const mediaType = String(source.media_type ?? '');
      const accepted = block.type === 'image' ? IMAGE_TYPES : ['application/pdf'];
      if (!accepted.includes(mediaType)) {
        return anthropicProblem(
          `${where}.media_type: Input should be ${accepted.map((type) => `'${type}'`).join(', ')}`,
        );
      }
      if (block.type === 'image' && data.length > ANTHROPIC_IMAGE_BASE64_MAX) {
        return anthropicProblem(
          `${where}: image exceeds 5 MB maximum: ${data.length} bytes > ${ANTHROPIC_IMAGE_BASE64_MAX} bytes`,
        );
      }
      const bytes = decodeBase64(data);
      if (!bytes) return anthropicProblem(`${where}.data: The ${block.type} data is not valid base64.`);
      if (sniffVisionType(bytes) !== mediaType) {
        return anthropicProblem(
          block.type === 'image'
            ? `${where}.data: Image does not match the provided media type ${mediaType}`
            : `${where}.data: The PDF specified was not valid.`,
        );
      }
    }
  }
  return undefined;
}

/** The parsed multipart body of a transcription request, as recorded. */
export type RecordedTranscription = {
  fields: Record<string, string>;
  file?: { fileName: string; contentType: string; size: number; sha256: string };
};

async function parseForm(request: FastifyRequest): Promise<RecordedTranscription> {
  const form = await new Request('http://fake/', {
    method: 'POST',
    headers: { 'content-type': String(request.headers['content-type'] ?? '') },
    body: new Uint8Array(request.body as Buffer),
  }).formData();
  const recorded: RecordedTranscription = { fields: {} };
  for (const [name, value] of form) {
    if (typeof value === 'string') recorded.fields[name] = value;
    else if (name === 'file') {
      const bytes = Buffer.from(await value.arrayBuffer());
      recorded.file = {
        fileName: value.name,
        contentType: value.type,
        size: bytes.length,
        sha256: createHash('sha256').update(bytes).digest('hex'),
      };
    }
  }
  return recorded;
}

export type MediaFakeContext = {
  apiKey: string;
  url: () => string;
  requests: RecordedRequest[];
  failures: FailureQueue;
  nextText: (fallback: string) => string;
  /** Answer image generations with a URL whatever `response_format` asks (as some compatible servers do). */
  imagesAsUrls: () => boolean;
};

const bearerOk = (request: FastifyRequest, apiKey: string) =>
  request.headers.authorization === `Bearer ${apiKey}`;
const unauthorized = (reply: FastifyReply) =>
  reply.code(401).send({
    error: {
      message: 'Incorrect API key provided.',
      type: 'invalid_request_error',
      param: null,
      code: 'invalid_api_key',
    },
  });

/** Adds the media checks and endpoints to the LLM fake's app. */
export function registerMediaRoutes(app: FastifyInstance, context: MediaFakeContext): void {
  const { apiKey, requests, failures } = context;
  const generated = new Map<string, Buffer>();

  app.addContentTypeParser(
    'multipart/form-data',
    { parseAs: 'buffer', bodyLimit: 64 * MiB },
    (_request, body, done) => done(null, body),
  );

  // Vision inputs are checked before the chat routes answer, the way the APIs refuse a bad image (after the key:
  // a request with a wrong key is left to the route's 401).
  app.addHook('preHandler', async (request, reply) => {
    const key = request.headers['x-api-key'] ?? request.headers.authorization?.replace(/^Bearer /, '');
    if (request.method !== 'POST' || key !== apiKey) return;
    const path = request.url.split('?')[0];
    const problem =
      path === '/v1/chat/completions'
        ? openAiMediaProblem(request.body)
        : path === '/v1/messages'
          ? anthropicMediaProblem(request.body)
          : undefined;
    if (!problem) return;
    requests.push(recordRequest(request));
    return reply.code(problem.status).send(problem.body);
  });

  app.post('/v1/audio/transcriptions', async (request, reply) => {
    const recorded = { ...recordRequest(request), body: await parseForm(request) };
    requests.push(recorded);
    const failure = failures.take('transcriptions');
    if (failure) return sendFailure(reply, failure);
    if (!bearerOk(request, apiKey)) return unauthorized(reply);
    const { fields, file } = recorded.body;
    if (!file)
      return reply.code(400).send(openAiProblem("you must provide a 'file' field", null, 'file').body);
    if (!fields.model)
      return reply.code(400).send(openAiProblem("you must provide a 'model' field", null, 'model').body);
    if (file.size > TRANSCRIPTION_MAX) {
      return reply
        .code(413)
        .send(
          openAiProblem(
            `Maximum content size limit (${TRANSCRIPTION_MAX}) exceeded (${file.size} bytes read)`,
          ).body,
        );
    }
    const extension = file.fileName.split('.').pop()?.toLowerCase() ?? '';
    if (!TRANSCRIPTION_FORMATS.includes(extension)) {
      return reply
        .code(400)
        .send(
          openAiProblem(
            `Invalid file format. Supported formats: [${TRANSCRIPTION_FORMATS.map((f) => `'${f}'`).join(', ')}]`,
          ).body,
        );
    }
    const text = context.nextText(`transcript of ${file.fileName} (${file.size} bytes)`);
    return reply.send({ text, usage: { type: 'duration', seconds: 1 } });
  });

  app.post('/v1/images/generations', async (request, reply) => {
    requests.push(recordRequest(request));
    const failure = failures.take('images');
    if (failure) return sendFailure(reply, failure);
    if (!bearerOk(request, apiKey)) return unauthorized(reply);
    const body = (request.body ?? {}) as {
      model?: string;
      prompt?: unknown;
      n?: number;
      size?: string;
      response_format?: string;
      output_format?: string;
    };
    if (typeof body.prompt !== 'string' || body.prompt === '') {
      return reply
        .code(400)
        .send(
          openAiProblem("Missing required parameter: 'prompt'.", 'missing_required_parameter', 'prompt').body,
        );
    }
    const gptImage = /^(gpt-image|chatgpt-image)/.test(body.model ?? '');
    if (gptImage && body.response_format !== undefined) {
      return reply
        .code(400)
        .send(
          openAiProblem("Unknown parameter: 'response_format'.", 'unknown_parameter', 'response_format').body,
        );
    }
    if ((body.output_format ?? 'png') !== 'png') {
      return reply
        .code(400)
        .send(openAiProblem('This fake draws png only.', 'invalid_value', 'output_format').body);
    }
    const [width, height] =
      !body.size || body.size === 'auto' ? [1024, 1024] : body.size.split('x').map((side) => Number(side));
    if (!width || !height || width > 4096 || height > 4096) {
      return reply
        .code(400)
        .send(openAiProblem(`Invalid size '${body.size}'.`, 'invalid_value', 'size').body);
    }
    const png = tinyPng(width, height, [0, 128, 255]);
    const created = Math.floor(Date.now() / 1000);
    if (context.imagesAsUrls() || (!gptImage && body.response_format !== 'b64_json')) {
      const id = randomBytes(8).toString('hex');
      generated.set(id, png);
      return reply.send({
        created,
        data: [{ url: `${context.url()}/generated/${id}.png`, revised_prompt: `A picture: ${body.prompt}` }],
      });
    }
    return reply.send({
      created,
      data: [
        gptImage
          ? { b64_json: png.toString('base64') }
          : { b64_json: png.toString('base64'), revised_prompt: `A picture: ${body.prompt}` },
      ],
      ...(gptImage
        ? {
            output_format: 'png',
            quality: 'low',
            size: `${width}x${height}`,
            usage: {
              input_tokens: body.prompt.length,
              output_tokens: 272,
              total_tokens: body.prompt.length + 272,
              input_tokens_details: { text_tokens: body.prompt.length, image_tokens: 0 },
            },
          }
        : {}),
    });
  });

  app.get('/generated/:name', async (request, reply) => {
    requests.push(recordRequest(request));
    const id = (request.params as { name: string }).name.replace(/\.png$/, '');
    const png = generated.get(id);
    if (!png) return reply.code(404).send();
    return reply.header('content-type', 'image/png').send(png);
  });
}
