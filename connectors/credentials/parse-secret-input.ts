import { ValidationError } from '../../lib/index.ts';
import type { CredentialDefinition } from '../sdk/define.ts';

/**
 * Turns what `vmesh credentials set` read from stdin into the secret to store:
 * - text starting with `{` must be a JSON object and is stored as it is;
 * - anything else is one bare token (surrounding whitespace and one trailing newline dropped), mapped by
 *   the credential type's `fromToken` (e.g. slack → `{ token }`, http → `{ scheme: 'bearer', token }`),
 *   or to `{ token }` for types no connector declares.
 */
export function parseSecretInput(text: string, definition: CredentialDefinition | undefined): unknown {
  const trimmed = text.trim();
  if (trimmed === '') {
    throw new ValidationError({
      code: 'E_CREDENTIAL',
      message: 'No secret on standard input.',
      hint: 'Pipe it in: `echo "$TOKEN" | vmesh credentials set NAME --type TYPE`, or a JSON object for multi-field credentials.',
    });
  }
  if (trimmed.startsWith('{')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(trimmed);
    } catch {
      throw new ValidationError({
        code: 'E_CREDENTIAL',
        message: 'Standard input starts with "{" but is not valid JSON.',
        hint: 'Give a JSON object such as {"token":"…"}, or a bare token on one line.',
      });
    }
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
      throw new ValidationError({
        code: 'E_CREDENTIAL',
        message: 'The secret must be a JSON object.',
        hint: 'Give {"field":"value"}.',
      });
    }
    return parsed;
  }
  if (/\s/.test(trimmed)) {
    throw new ValidationError({
      code: 'E_CREDENTIAL',
      message: 'A bare token cannot contain spaces or line breaks.',
      hint: 'For a credential with several fields give a JSON object, e.g. {"username":"…","password":"…"}.',
    });
  }
  return definition?.fromToken ? definition.fromToken(trimmed) : { token: trimmed };
}
