import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { AppError, err, ok, type Result } from '../lib/index.ts';

/** A workflow document as a tool argument: a JSON object (preferred), or JSON/YAML text. */
export const DocumentArgument = z
  .union([z.record(z.string(), z.unknown()), z.string().max(200_000)])
  .describe('The whole workflow document (schemaVersion 1) as a JSON object.');

export function parseDocumentArgument(value: unknown): Result<unknown, AppError> {
  if (typeof value !== 'string') return ok(value);
  try {
    return ok(parseYaml(value) as unknown);
  } catch (error) {
    return err(
      new AppError({
        code: 'E_SCHEMA',
        message: 'The document text is neither JSON nor YAML.',
        hint: 'Send the document as a JSON object, not a string.',
        cause: error,
      }),
    );
  }
}
