import Fastify, { type FastifyInstance } from 'fastify';
import {
  FailureQueue,
  type InjectedFailure,
  listenLocal,
  type RecordedRequest,
  recordRequest,
  sendFailure,
} from '../testing/fake-server.ts';
import { registerMediaRoutes } from './fake-media.ts';

/**
 * Route keys for failNext: `openai` (POST /v1/chat/completions), `anthropic` (POST /v1/messages), `transcriptions`
 * (POST /v1/audio/transcriptions) and `images` (POST /v1/images/generations).
 */
export type LlmRoute = 'openai' | 'anthropic' | 'transcriptions' | 'images';

export type LlmFake = {
  /** Base URL without /v1 (Anthropic SDK style); OpenAI clients use `${url}/v1`. */
  url: string;
  requests: RecordedRequest[];
  /** Queues the text of the next answers (either wire format); without one, the fake echoes the prompt. */
  reply(...texts: string[]): void;
  failNext(route: LlmRoute, failure: InjectedFailure): void;
  /** From now on, answer image generations with a URL of the image instead of base64 (a compatible server). */
  answerImagesWithUrls(on: boolean): void;
  close(): Promise<void>;
};

/** OpenAI's and Anthropic's error bodies for a status, as their APIs send them. */
export function vendorErrorBody(route: LlmRoute, status: number, message: string): unknown {
  if (route === 'openai') {
    const type =
      status === 429 ? 'rate_limit_exceeded' : status >= 500 ? 'server_error' : 'invalid_request_error';
    return { error: { message, type, param: null, code: status === 429 ? 'rate_limit_exceeded' : null } };
  }
  const type =
    status === 429
      ? 'rate_limit_error'
      : status === 529
        ? 'overloaded_error'
        : status === 401
          ? 'authentication_error'
          : status >= 500
            ? 'api_error'
            : 'invalid_request_error';
  return { type: 'error', error: { type, message } };
}

type OpenAiBody = { model?: string; messages?: { role: string; content: string }[] };
type AnthropicBody = { model?: string; system?: string; messages?: { role: string; content: string }[] };

/** A fastify app on 127.0.0.1 speaking OpenAI chat.completions and Anthropic messages (non-streaming). */
export async function startLlmFake(options: { apiKey: string }): Promise<LlmFake> {
  // Image and PDF inputs travel as base64 inside the JSON body.
  const app: FastifyInstance = Fastify({ logger: false, bodyLimit: 64 * 1024 * 1024 });
  const requests: RecordedRequest[] = [];
  const failures = new FailureQueue();
  const scripted: string[] = [];
  let counter = 0;
  const nextText = (prompt: string) => scripted.shift() ?? `echo: ${prompt}`;

  app.post('/v1/chat/completions', async (request, reply) => {
    requests.push(recordRequest(request));
    const failure = failures.take('openai');
    if (failure) return sendFailure(reply, failure);
    if (request.headers.authorization !== `Bearer ${options.apiKey}`) {
      return reply.code(401).send(vendorErrorBody('openai', 401, 'Incorrect API key provided.'));
    }
    const body = request.body as OpenAiBody;
    const prompt = body.messages?.at(-1)?.content ?? '';
    const text = nextText(prompt);
    counter++;
    return reply.header('x-request-id', `req_${counter}`).send({
      id: `chatcmpl-${counter}`,
      object: 'chat.completion',
      created: 1_700_000_000 + counter,
      model: body.model ?? 'unknown',
      choices: [
        {
          index: 0,
          message: { role: 'assistant', content: text, refusal: null },
          logprobs: null,
          finish_reason: 'stop',
        },
      ],
      usage: {
        prompt_tokens: prompt.length,
        completion_tokens: text.length,
        total_tokens: prompt.length + text.length,
      },
    });
  });

  app.post('/v1/messages', async (request, reply) => {
    requests.push(recordRequest(request));
    const failure = failures.take('anthropic');
    if (failure) return sendFailure(reply, failure);
    // The Anthropic API takes the key as x-api-key; newer SDKs send it as a bearer token.
    const key = request.headers['x-api-key'] ?? request.headers.authorization?.replace(/^Bearer /, '');
    if (key !== options.apiKey) {
      return reply.code(401).send(vendorErrorBody('anthropic', 401, 'invalid x-api-key'));
    }
    const body = request.body as AnthropicBody;
    const prompt = body.messages?.at(-1)?.content ?? '';
    const text = nextText(prompt);
    counter++;
    return reply.header('request-id', `req_${counter}`).send({
      id: `msg_${counter}`,
      type: 'message',
      role: 'assistant',
      model: body.model ?? 'unknown',
      content: [{ type: 'text', text }],
      stop_reason: 'end_turn',
      stop_sequence: null,
      usage: { input_tokens: prompt.length, output_tokens: text.length },
    });
  });

  let url = '';
  let imagesAsUrls = false;
  // Media: vision inputs checked on the routes above, audio transcriptions, image generations.
  registerMediaRoutes(app, {
    apiKey: options.apiKey,
    url: () => url,
    requests,
    failures,
    nextText,
    imagesAsUrls: () => imagesAsUrls,
  });

  url = await listenLocal(app);
  return {
    url,
    requests,
    reply: (...texts) => scripted.push(...texts),
    failNext: (route, failure) => failures.add(route, failure),
    answerImagesWithUrls: (on) => {
      imagesAsUrls = on;
    },
    close: () => app.close(),
  };
}
