import { err, ok, type Result } from '../../lib/index.ts';
import { createAnthropicProvider } from './anthropic-provider.ts';
import { ModelError } from './model-error.ts';
import type { ModelProvider } from './model-provider.ts';
import { createOpenAIProvider } from './openai-provider.ts';
import type { RetryPolicy } from './retry.ts';

export const DEFAULT_MODEL = 'anthropic:claude-sonnet-4-6';

/**
 * Picks the provider from `VMESH_MODEL` (`anthropic:<model>` or `openai:<model>`). Keys and base URLs come from
 * the SDKs' own variables (ANTHROPIC_API_KEY / ANTHROPIC_BASE_URL, OPENAI_API_KEY / OPENAI_BASE_URL). A missing key
 * is not an error here: the provider answers the first turn with a clear message instead.
 */
export function createModelProvider(
  spec: string | undefined = process.env.VMESH_MODEL,
  options: { env?: NodeJS.ProcessEnv; retry?: RetryPolicy } = {},
): Result<ModelProvider, ModelError> {
  const env = options.env ?? process.env;
  const value = (spec ?? '').trim() || DEFAULT_MODEL;
  const colon = value.indexOf(':');
  const provider = colon === -1 ? '' : value.slice(0, colon);
  const model = colon === -1 ? '' : value.slice(colon + 1);
  if (!model) {
    return err(
      new ModelError({
        code: 'E_MODEL_CONFIG',
        message: `VMESH_MODEL="${value}" does not name a model.`,
        hint: 'Use anthropic:<model> (e.g. anthropic:claude-sonnet-4-5) or openai:<model> (e.g. openai:gpt-4.1).',
      }),
    );
  }
  if (provider === 'anthropic') {
    return ok(
      createAnthropicProvider({
        model,
        apiKey: env.ANTHROPIC_API_KEY || undefined,
        baseURL: env.ANTHROPIC_BASE_URL || undefined,
        ...(options.retry ? { retry: options.retry } : {}),
      }),
    );
  }
  if (provider === 'openai') {
    const baseURL = env.OPENAI_BASE_URL || undefined;
    return ok(
      createOpenAIProvider({
        model,
        apiKey: env.OPENAI_API_KEY || (baseURL ? 'not-needed' : undefined),
        baseURL,
        ...(options.retry ? { retry: options.retry } : {}),
      }),
    );
  }
  return err(
    new ModelError({
      code: 'E_MODEL_CONFIG',
      message: `VMESH_MODEL="${value}" names an unknown provider "${provider}".`,
      hint: 'Use anthropic:<model> or openai:<model> (OpenAI-compatible servers such as Ollama or vLLM use openai: with OPENAI_BASE_URL).',
    }),
  );
}
