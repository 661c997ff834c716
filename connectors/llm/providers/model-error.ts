import { AppError } from '../../../lib/index.ts';
import { parseRetryAfter } from '../../sdk/connector-error.ts';

export type ModelErrorCode =
  | 'E_MODEL_CONFIG'
  | 'E_MODEL_KEY_MISSING'
  | 'E_MODEL_AUTH'
  | 'E_MODEL_RATE_LIMITED'
  | 'E_MODEL_UNAVAILABLE'
  | 'E_MODEL_REQUEST';

/** A failure to get an answer from the LLM provider. Its message is shown in the chat as it is. */
export class ModelError extends AppError {
  readonly status: number | undefined;
  readonly retryAfterMs: number | undefined;

  constructor(options: {
    code: ModelErrorCode;
    message: string;
    hint?: string;
    retryable?: boolean;
    status?: number;
    retryAfterMs?: number;
    cause?: unknown;
  }) {
    super({
      code: options.code,
      message: options.message,
      hint: options.hint,
      retryable: options.retryable ?? false,
      details: options.status ? { status: options.status } : {},
      cause: options.cause ?? null,
    });
    this.status = options.status;
    this.retryAfterMs = options.retryAfterMs;
  }
}

/** Maps an HTTP status from a provider into a ModelError (shared by both adapters). */
export function modelErrorFromStatus(input: {
  provider: string;
  status: number | undefined;
  message: string;
  retryAfterMs: number | undefined;
  cause: unknown;
}): ModelError {
  const { status, provider } = input;
  if (status === 401 || status === 403) {
    return new ModelError({
      code: 'E_MODEL_AUTH',
      message: `${provider} rejected the API key (HTTP ${status}).`,
      hint: `Check the ${provider === 'anthropic' ? 'ANTHROPIC_API_KEY' : 'OPENAI_API_KEY'} environment variable.`,
      status,
      cause: input.cause,
    });
  }
  if (status === 429) {
    return new ModelError({
      code: 'E_MODEL_RATE_LIMITED',
      message: `${provider} is rate limiting requests (HTTP 429).`,
      hint: 'Wait a moment and send the message again.',
      retryable: true,
      status,
      retryAfterMs: input.retryAfterMs,
      cause: input.cause,
    });
  }
  if (status === undefined || status >= 500 || status === 408 || status === 409) {
    return new ModelError({
      code: 'E_MODEL_UNAVAILABLE',
      message: `${provider} is unavailable${status ? ` (HTTP ${status})` : ''}: ${input.message}`,
      hint: 'This is usually temporary; send the message again in a moment.',
      retryable: true,
      status,
      retryAfterMs: input.retryAfterMs,
      cause: input.cause,
    });
  }
  return new ModelError({
    code: 'E_MODEL_REQUEST',
    message: `${provider} refused the request (HTTP ${status}): ${input.message}`,
    hint: 'Check VMESH_MODEL names a model this provider serves.',
    status,
    cause: input.cause,
  });
}

/** The shape both SDKs' APIError share. */
type SdkApiError = Error & { status: number | undefined; headers?: Headers | undefined };

/** Maps an SDK's APIError (by status, with Retry-After) to a ModelError; anything else passes through. */
export function modelErrorFromSdk(
  provider: string,
  error: unknown,
  apiError: abstract new (...args: never[]) => SdkApiError,
): unknown {
  if (error instanceof ModelError) return error;
  if (!(error instanceof apiError)) return error;
  return modelErrorFromStatus({
    provider,
    status: error.status,
    message: error.message,
    retryAfterMs: parseRetryAfter(error.headers?.get('retry-after')),
    cause: error,
  });
}
