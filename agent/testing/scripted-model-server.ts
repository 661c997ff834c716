import { randomBytes } from 'node:crypto';
import Fastify, { type FastifyInstance, type FastifyReply } from 'fastify';
import { z } from 'zod';

/**
 * A local stand-in for the Anthropic Messages API and the OpenAI chat.completions API, speaking their real
 * HTTP wire formats (JSON and streaming SSE), driven by a script. The real SDKs run against it end to end.
 * Every request is recorded so tests can assert on prompts, tools and that no secret ever reached a model.
 */

export type ScriptedToolCall = { name: string; input: unknown; id?: string };

/** One model answer: text and/or tool calls, or an HTTP error (e.g. 429 with Retry-After). */
export type ScriptedTurn =
  | { text?: string; toolCalls?: ScriptedToolCall[]; stopReason?: 'end_turn' | 'max_tokens' }
  | { error: { status: number; retryAfter?: string; message?: string } };

/** What a scripted step sees of the request it answers (both wire formats normalised). */
export type ScriptRequest = {
  provider: 'anthropic' | 'openai';
  model: string;
  system: string;
  /** The text of the latest user message (ignoring tool results). */
  lastUserText: string;
  /** Tool results sent with this request (the answers to the previous turn's tool calls). */
  toolResults: { toolCallId: string; content: string; isError: boolean }[];
  toolNames: string[];
  /** The number of this request in the server's life (1-based). */
  index: number;
};

export type ScriptStep = ScriptedTurn | ((request: ScriptRequest) => ScriptedTurn);

export type RecordedRequest = {
  provider: 'anthropic' | 'openai';
  path: string;
  headers: Record<string, string>;
  /** The exact body text as received. */
  rawBody: string;
  body: unknown;
  normalized: ScriptRequest;
  answeredWith: ScriptedTurn;
};

export type ScriptedModelServer = {
  url: string;
  /** Base URL for the Anthropic SDK (`baseURL`, or ANTHROPIC_BASE_URL). */
  anthropicBaseUrl: string;
  /** Base URL for the OpenAI SDK (`baseURL`, or OPENAI_BASE_URL). */
  openaiBaseUrl: string;
  requests: RecordedRequest[];
  /** Appends steps to the script. */
  push(...steps: ScriptStep[]): void;
  /** Replaces the script (pending steps are dropped). */
  setScript(steps: ScriptStep[]): void;
  /** Steps not yet used. */
  pending(): number;
  close(): Promise<void>;
};

const AnthropicBody = z.looseObject({
  model: z.string(),
  stream: z.boolean().optional(),
  system: z
    .union([z.string(), z.array(z.looseObject({ type: z.string(), text: z.string().optional() }))])
    .optional(),
  messages: z.array(
    z.looseObject({
      role: z.enum(['user', 'assistant']),
      content: z.union([z.string(), z.array(z.looseObject({ type: z.string() }))]),
    }),
  ),
  tools: z.array(z.looseObject({ name: z.string() })).optional(),
});

const OpenAIBody = z.looseObject({
  model: z.string(),
  stream: z.boolean().optional(),
  stream_options: z.looseObject({ include_usage: z.boolean().optional() }).nullish(),
  messages: z.array(
    z.looseObject({
      role: z.string(),
      content: z
        .union([
          z.string(),
          z.array(z.looseObject({ type: z.string(), text: z.string().optional() })),
          z.null(),
        ])
        .optional(),
      tool_call_id: z.string().optional(),
    }),
  ),
  tools: z.array(z.looseObject({ function: z.looseObject({ name: z.string() }) })).optional(),
});

const TextPart = z.looseObject({ type: z.literal('text'), text: z.string() });
const ToolResultPart = z.looseObject({
  type: z.literal('tool_result'),
  tool_use_id: z.string(),
  content: z.union([z.string(), z.array(TextPart)]).optional(),
  is_error: z.boolean().optional(),
});

function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content
    .map((part) => {
      const text = TextPart.safeParse(part);
      return text.success ? text.data.text : '';
    })
    .join('');
}

function normalizeAnthropic(body: z.infer<typeof AnthropicBody>, index: number): ScriptRequest {
  const system =
    typeof body.system === 'string' ? body.system : (body.system ?? []).map((b) => b.text ?? '').join('\n');
  let lastUserText = '';
  for (const message of body.messages) {
    if (message.role !== 'user') continue;
    const text = textOf(message.content);
    if (text) lastUserText = text;
  }
  const last = body.messages.at(-1);
  const toolResults: ScriptRequest['toolResults'] = [];
  if (last?.role === 'user' && Array.isArray(last.content)) {
    for (const part of last.content) {
      const result = ToolResultPart.safeParse(part);
      if (result.success) {
        toolResults.push({
          toolCallId: result.data.tool_use_id,
          content: textOf(result.data.content ?? ''),
          isError: result.data.is_error ?? false,
        });
      }
    }
  }
  return {
    provider: 'anthropic',
    model: body.model,
    system,
    lastUserText,
    toolResults,
    toolNames: (body.tools ?? []).map((tool) => tool.name),
    index,
  };
}

function normalizeOpenAI(body: z.infer<typeof OpenAIBody>, index: number): ScriptRequest {
  const system = body.messages
    .filter((m) => m.role === 'system' || m.role === 'developer')
    .map((m) => textOf(m.content))
    .join('\n');
  let lastUserText = '';
  for (const message of body.messages)
    if (message.role === 'user') lastUserText = textOf(message.content) || lastUserText;
  const toolResults: ScriptRequest['toolResults'] = [];
  for (let i = body.messages.length - 1; i >= 0; i--) {
    const message = body.messages[i];
    if (message?.role !== 'tool') break;
    const content = textOf(message.content);
    toolResults.unshift({
      toolCallId: message.tool_call_id ?? '',
      content,
      isError: content.startsWith('ERROR:'),
    });
  }
  return {
    provider: 'openai',
    model: body.model,
    system,
    lastUserText,
    toolResults,
    toolNames: (body.tools ?? []).map((tool) => tool.function.name),
    index,
  };
}

const id = (prefix: string) => `${prefix}${randomBytes(12).toString('hex')}`;
const estimateTokens = (text: string) => Math.max(1, Math.ceil(text.length / 4));

function chunkText(text: string, size = 12): string[] {
  const chunks: string[] = [];
  for (let i = 0; i < text.length; i += size) chunks.push(text.slice(i, i + size));
  return chunks;
}

function sse(reply: FastifyReply, frames: string[]): void {
  reply.raw.writeHead(200, {
    'content-type': 'text/event-stream',
    'cache-control': 'no-cache',
    connection: 'keep-alive',
  });
  for (const frame of frames) reply.raw.write(frame);
  reply.raw.end();
}

function anthropicFrames(
  turn: { text?: string; toolCalls?: ScriptedToolCall[]; stopReason?: string },
  model: string,
  inputTokens: number,
): {
  frames: string[];
  message: Record<string, unknown>;
} {
  const frames: string[] = [];
  const emit = (event: string, data: unknown) =>
    frames.push(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  const messageId = id('msg_');
  const content: Record<string, unknown>[] = [];
  const usageStart = {
    input_tokens: inputTokens,
    output_tokens: 1,
    cache_creation_input_tokens: 0,
    cache_read_input_tokens: 0,
  };
  emit('message_start', {
    type: 'message_start',
    message: {
      id: messageId,
      type: 'message',
      role: 'assistant',
      model,
      content: [],
      stop_reason: null,
      stop_sequence: null,
      usage: usageStart,
    },
  });
  emit('ping', { type: 'ping' });
  let index = 0;
  let outputText = '';
  if (turn.text) {
    emit('content_block_start', {
      type: 'content_block_start',
      index,
      content_block: { type: 'text', text: '' },
    });
    for (const piece of chunkText(turn.text)) {
      emit('content_block_delta', {
        type: 'content_block_delta',
        index,
        delta: { type: 'text_delta', text: piece },
      });
    }
    emit('content_block_stop', { type: 'content_block_stop', index });
    content.push({ type: 'text', text: turn.text });
    outputText += turn.text;
    index++;
  }
  for (const call of turn.toolCalls ?? []) {
    const toolId = call.id ?? id('toolu_');
    const json = JSON.stringify(call.input ?? {});
    emit('content_block_start', {
      type: 'content_block_start',
      index,
      content_block: { type: 'tool_use', id: toolId, name: call.name, input: {} },
    });
    emit('content_block_delta', {
      type: 'content_block_delta',
      index,
      delta: { type: 'input_json_delta', partial_json: '' },
    });
    for (const piece of chunkText(json, 20)) {
      emit('content_block_delta', {
        type: 'content_block_delta',
        index,
        delta: { type: 'input_json_delta', partial_json: piece },
      });
    }
    emit('content_block_stop', { type: 'content_block_stop', index });
    content.push({ type: 'tool_use', id: toolId, name: call.name, input: call.input ?? {} });
    outputText += json;
    index++;
  }
  const stopReason = turn.toolCalls?.length ? 'tool_use' : (turn.stopReason ?? 'end_turn');
  const outputTokens = estimateTokens(outputText);
  emit('message_delta', {
    type: 'message_delta',
    delta: { stop_reason: stopReason, stop_sequence: null },
    usage: { output_tokens: outputTokens },
  });
  emit('message_stop', { type: 'message_stop' });
  return {
    frames,
    message: {
      id: messageId,
      type: 'message',
      role: 'assistant',
      model,
      content,
      stop_reason: stopReason,
      stop_sequence: null,
      usage: { ...usageStart, output_tokens: outputTokens },
    },
  };
}

function openaiFrames(
  turn: { text?: string; toolCalls?: ScriptedToolCall[]; stopReason?: string },
  model: string,
  inputTokens: number,
  includeUsage: boolean,
): { frames: string[]; completion: Record<string, unknown> } {
  const frames: string[] = [];
  const completionId = id('chatcmpl-');
  const created = Math.floor(Date.now() / 1000);
  const chunk = (choices: unknown[], extra: Record<string, unknown> = {}) =>
    frames.push(
      `data: ${JSON.stringify({ id: completionId, object: 'chat.completion.chunk', created, model, choices, ...extra })}\n\n`,
    );
  chunk([{ index: 0, delta: { role: 'assistant', content: '' }, logprobs: null, finish_reason: null }]);
  for (const piece of chunkText(turn.text ?? '')) {
    chunk([{ index: 0, delta: { content: piece }, logprobs: null, finish_reason: null }]);
  }
  const toolCalls = (turn.toolCalls ?? []).map((call) => ({
    id: call.id ?? id('call_'),
    type: 'function' as const,
    function: { name: call.name, arguments: JSON.stringify(call.input ?? {}) },
  }));
  toolCalls.forEach((call, index) => {
    chunk([
      {
        index: 0,
        delta: {
          tool_calls: [
            { index, id: call.id, type: 'function', function: { name: call.function.name, arguments: '' } },
          ],
        },
        logprobs: null,
        finish_reason: null,
      },
    ]);
    for (const piece of chunkText(call.function.arguments, 20)) {
      chunk([
        {
          index: 0,
          delta: { tool_calls: [{ index, function: { arguments: piece } }] },
          logprobs: null,
          finish_reason: null,
        },
      ]);
    }
  });
  const finishReason =
    toolCalls.length > 0 ? 'tool_calls' : turn.stopReason === 'max_tokens' ? 'length' : 'stop';
  chunk([{ index: 0, delta: {}, logprobs: null, finish_reason: finishReason }]);
  const completionTokens = estimateTokens(
    (turn.text ?? '') + toolCalls.map((c) => c.function.arguments).join(''),
  );
  const usage = {
    prompt_tokens: inputTokens,
    completion_tokens: completionTokens,
    total_tokens: inputTokens + completionTokens,
  };
  if (includeUsage) chunk([], { usage });
  frames.push('data: [DONE]\n\n');
  return {
    frames,
    completion: {
      id: completionId,
      object: 'chat.completion',
      created,
      model,
      choices: [
        {
          index: 0,
          message: {
            role: 'assistant',
            content: turn.text ?? null,
            ...(toolCalls.length ? { tool_calls: toolCalls } : {}),
          },
          logprobs: null,
          finish_reason: finishReason,
        },
      ],
      usage,
    },
  };
}

export async function startScriptedModelServer(
  options: { script?: ScriptStep[]; requireApiKey?: string } = {},
): Promise<ScriptedModelServer> {
  let script: ScriptStep[] = [...(options.script ?? [])];
  const requests: RecordedRequest[] = [];
  const app: FastifyInstance = Fastify({ logger: false, bodyLimit: 20 * 1024 * 1024 });
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (_request, body, done) => done(null, body));

  const nextTurn = (request: ScriptRequest): ScriptedTurn => {
    const step = script.shift();
    if (step === undefined) return { text: '[scripted model: the script has no more turns]' };
    return typeof step === 'function' ? step(request) : step;
  };

  const headersOf = (raw: Record<string, string | string[] | undefined>) =>
    Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : (v ?? '')]));

  app.post('/v1/messages', async (request, reply) => {
    const rawBody = typeof request.body === 'string' ? request.body : '';
    const headers = headersOf(request.headers);
    const presented = headers['x-api-key'] || headers.authorization?.replace(/^Bearer /, '');
    if (options.requireApiKey && presented !== options.requireApiKey) {
      return reply
        .code(401)
        .send({ type: 'error', error: { type: 'authentication_error', message: 'invalid x-api-key' } });
    }
    const parsed = AnthropicBody.safeParse(JSON.parse(rawBody || '{}'));
    if (!parsed.success) {
      return reply
        .code(400)
        .send({ type: 'error', error: { type: 'invalid_request_error', message: parsed.error.message } });
    }
    const normalized = normalizeAnthropic(parsed.data, requests.length + 1);
    const turn = nextTurn(normalized);
    requests.push({
      provider: 'anthropic',
      path: request.url,
      headers,
      rawBody,
      body: parsed.data,
      normalized,
      answeredWith: turn,
    });
    if ('error' in turn) {
      const type =
        turn.error.status === 429
          ? 'rate_limit_error'
          : turn.error.status >= 500
            ? 'api_error'
            : 'invalid_request_error';
      if (turn.error.retryAfter !== undefined) reply.header('retry-after', turn.error.retryAfter);
      return reply
        .code(turn.error.status)
        .send({ type: 'error', error: { type, message: turn.error.message ?? type } });
    }
    const { frames, message } = anthropicFrames(turn, parsed.data.model, estimateTokens(rawBody));
    reply.header('request-id', id('req_'));
    if (!parsed.data.stream) return reply.send(message);
    sse(reply, frames);
    return reply;
  });

  app.post('/v1/chat/completions', async (request, reply) => {
    const rawBody = typeof request.body === 'string' ? request.body : '';
    const headers = headersOf(request.headers);
    if (options.requireApiKey && headers.authorization !== `Bearer ${options.requireApiKey}`) {
      return reply.code(401).send({
        error: {
          message: 'Incorrect API key provided',
          type: 'invalid_request_error',
          code: 'invalid_api_key',
        },
      });
    }
    const parsed = OpenAIBody.safeParse(JSON.parse(rawBody || '{}'));
    if (!parsed.success) {
      return reply
        .code(400)
        .send({ error: { message: parsed.error.message, type: 'invalid_request_error', code: null } });
    }
    const normalized = normalizeOpenAI(parsed.data, requests.length + 1);
    const turn = nextTurn(normalized);
    requests.push({
      provider: 'openai',
      path: request.url,
      headers,
      rawBody,
      body: parsed.data,
      normalized,
      answeredWith: turn,
    });
    if ('error' in turn) {
      if (turn.error.retryAfter !== undefined) reply.header('retry-after', turn.error.retryAfter);
      const type = turn.error.status === 429 ? 'rate_limit_exceeded' : 'server_error';
      return reply
        .code(turn.error.status)
        .send({ error: { message: turn.error.message ?? type, type, code: type } });
    }
    const includeUsage = parsed.data.stream_options?.include_usage === true;
    const { frames, completion } = openaiFrames(
      turn,
      parsed.data.model,
      estimateTokens(rawBody),
      includeUsage,
    );
    if (!parsed.data.stream) return reply.send(completion);
    sse(reply, frames);
    return reply;
  });

  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  return {
    url,
    anthropicBaseUrl: url,
    openaiBaseUrl: `${url}/v1`,
    requests,
    push: (...steps) => {
      script.push(...steps);
    },
    setScript: (steps) => {
      script = [...steps];
    },
    pending: () => script.length,
    close: () => app.close(),
  };
}
