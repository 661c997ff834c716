import { z } from 'zod';
import { ConnectorError } from '../../sdk/connector-error.ts';

export const ModelField = z
  .string()
  .min(1)
  .optional()
  .describe('Model name, e.g. "gpt-4o-mini" or "claude-sonnet-4-5"; defaults to the credential’s model.');

export const MaxTokensField = z
  .number()
  .int()
  .min(1)
  .max(64_000)
  .default(1024)
  .describe('Upper bound on the length of the answer in tokens (default 1024).');

export const Usage = z
  .strictObject({
    inputTokens: z.number().int().describe('Tokens in the prompt.'),
    outputTokens: z.number().int().describe('Tokens in the answer.'),
  })
  .describe('Token counts reported by the provider.');

export function invalidOutput(
  message: string,
  hint: string,
  details: Record<string, unknown> = {},
): ConnectorError {
  return new ConnectorError({ code: 'E_OUTPUT_INVALID', message, retryable: true, hint, details });
}
