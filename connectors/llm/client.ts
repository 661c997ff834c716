import type Anthropic from '@anthropic-ai/sdk';
import type OpenAI from 'openai';
import { z } from 'zod';
import { ConnectorError, connectorErrorFromStatus } from '../sdk/connector-error.ts';
import type { ConnectorEnvironment } from '../sdk/define.ts';
import { findConnectorError } from '../sdk/outbound/blocked-destination-error.ts';

export const LlmCredential = z.strictObject({
  provider: z
    .enum(['openai', 'anthropic'])
    .describe(
      '`openai` for OpenAI and OpenAI-compatible servers (Ollama, vLLM, Groq, …), `anthropic` for Claude.',
    ),
  apiKey: z.string().min(1).describe('The provider API key.'),
  baseUrl: z
    .url()
    .optional()
    .describe('API base URL for OpenAI-compatible servers, e.g. http://ollama.internal:11434/v1.'),
  model: z.string().min(1).optional().describe('Default model when a node does not name one.'),
});
export type LlmCredential = z.infer<typeof LlmCredential>;

export type CompletionRequest = {
  system?: string;
  prompt: string;
  model?: string;
  maxTokens: number;
  temperature?: number;
};

export type Completion = {
  text: string;
  model: string;
  stopReason: string;
  usage: { inputTokens: number; outputTokens: number };
};

export type LlmClient = {
  provider: LlmCredential['provider'];
  complete(request: CompletionRequest, signal: AbortSignal): Promise<Completion>;
};

function requireModel(request: CompletionRequest, credential: LlmCredential): string {
  const model = request.model ?? credential.model;
  if (!model) {
    throw new ConnectorError({
      code: 'E_PARAMS',
      message: 'llm: no model given.',
      retryable: false,
      hint: 'Set `model` in the node’s `with` (e.g. "gpt-4o-mini" or "claude-sonnet-4-5"), or a default `model` in the llm credential.',
    });
  }
  return model;
}

/** Maps SDK failures: 429/5xx (and 529 overloaded) retryable with Retry-After; other 4xx say what to change. */
export function toLlmError(error: unknown, sdk: typeof OpenAI | typeof Anthropic): ConnectorError {
  if (error instanceof ConnectorError) return error;
  // A cancelled step: keep the abort as it is, the engine knows it.
  if (error instanceof sdk.APIUserAbortError) throw error;
  if (error instanceof sdk.APIError) {
    if (typeof error.status === 'number') {
      const headers = error.headers as Headers | undefined;
      return connectorErrorFromStatus({
        connector: 'llm',
        status: error.status,
        message: error.message,
        retryAfter: headers?.get('retry-after') ?? null,
        hint:
          error.status === 401 || error.status === 403
            ? 'Check the llm credential’s apiKey (and baseUrl for compatible servers), then re-set it.'
            : error.status === 404
              ? 'The model or endpoint does not exist for this provider: check `model` and the credential’s baseUrl.'
              : error.status === 400 || error.status === 422
                ? 'The provider rejected the request: check `model`, `maxTokens` and the prompt size.'
                : undefined,
        cause: error,
      });
    }
    const inner = findConnectorError(error);
    if (inner) return inner;
    const timedOut = error instanceof sdk.APIConnectionTimeoutError;
    return new ConnectorError({
      code: timedOut ? 'E_TIMEOUT' : 'E_NETWORK',
      message: `llm: could not reach the provider (${error.message}).`,
      retryable: true,
      hint: 'Usually temporary; the step is retried. If it persists, check the credential’s baseUrl.',
      cause: error,
    });
  }
  const inner = findConnectorError(error);
  if (inner) return inner;
  throw error;
}

/** The provider's official SDK with retries off (the engine owns retries), sending through `env.fetch`. */
export function createLlmClient(options: {
  credential: LlmCredential | undefined;
  env: ConnectorEnvironment;
}): LlmClient {
  const { credential, env } = options;
  if (!credential) {
    throw new ConnectorError({
      code: 'E_CREDENTIAL',
      message: 'llm actions need an llm credential.',
      retryable: false,
      hint: 'Store one with `vmesh credentials set NAME --type llm` ({"provider":"openai","apiKey":"…"}) and name it in the node’s `credential`.',
    });
  }
  const baseURL = credential.baseUrl ?? env.baseUrls.llm;
  if (credential.provider === 'anthropic') {
    let client: Anthropic | undefined;
    return {
      provider: 'anthropic',
      async complete(request, signal) {
        const model = requireModel(request, credential);
        // The SDK loads on first use, not when the app starts.
        const Sdk = (await import('@anthropic-ai/sdk')).default;
        client ??= new Sdk({ apiKey: credential.apiKey, baseURL, maxRetries: 0, fetch: env.fetch });
        const sdk = client;
        try {
          const message = await sdk.messages.create(
            {
              model,
              max_tokens: request.maxTokens,
              ...(request.system ? { system: request.system } : {}),
              ...(request.temperature === undefined ? {} : { temperature: request.temperature }),
              messages: [{ role: 'user', content: request.prompt }],
            },
            { signal },
          );
          const text = message.content
            .map((block) => (block.type === 'text' ? block.text : ''))
            .join('')
            .trim();
          return {
            text,
            model: message.model,
            stopReason: message.stop_reason ?? 'unknown',
            usage: { inputTokens: message.usage.input_tokens, outputTokens: message.usage.output_tokens },
          };
        } catch (error) {
          throw toLlmError(error, Sdk);
        }
      },
    };
  }
  let client: OpenAI | undefined;
  return {
    provider: 'openai',
    async complete(request, signal) {
      const model = requireModel(request, credential);
      const Sdk = (await import('openai')).default;
      client ??= new Sdk({ apiKey: credential.apiKey, baseURL, maxRetries: 0, fetch: env.fetch });
      const sdk = client;
      try {
        const completion = await sdk.chat.completions.create(
          {
            model,
            max_tokens: request.maxTokens,
            ...(request.temperature === undefined ? {} : { temperature: request.temperature }),
            messages: [
              ...(request.system ? [{ role: 'system' as const, content: request.system }] : []),
              { role: 'user' as const, content: request.prompt },
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
    },
  };
}
