// Values the engine writes to jsonb, serialised by us before any statement of the transaction is sent: a value
// that cannot be stored (BigInt, a cycle, nesting too deep for JSON.stringify or Postgres) then fails in our
// code, where the transaction is rolled back, and never inside the driver, where a statement that fails to
// serialise is simply not sent while the pipelined COMMIT commits the rest.
import type postgres from 'postgres';
import type { Sql, TransactionSql } from '../../db/index.ts';
import { AppError } from '../../lib/index.ts';

/** Deepest nesting stored (Postgres and the engine's recursive walkers stop far below JSON.stringify's limit). */
export const MAX_STORED_DEPTH = 1_000;

/** JSON text ready to be a jsonb parameter, and its size in bytes (UTF-8), measured once. */
export type StoredJson = { text: string; bytes: number };

/** Why a value cannot be stored: `reason` says what is wrong with it. */
export class UnstorableValueError extends Error {
  readonly reason: string;
  constructor(reason: string) {
    super(`the value cannot be stored as JSON: ${reason}`);
    this.reason = reason;
  }
}

/**
 * `\u0000` and surrogate escapes after an even run of backslashes. JSON.stringify escapes only lone surrogates
 * (a pair is written as is), so every surrogate escape it writes is one Postgres refuses.
 */
const UNSTORABLE_ESCAPE = /(?<!\\)((?:\\\\)*)\\u(?:0000|d[89a-f][0-9a-f]{2})/g;

/**
 * Serialises `value` for a jsonb column. NUL and lone surrogates (which Postgres refuses) become U+FFFD, as in
 * webhook bodies. Throws UnstorableValueError for what JSON cannot hold or nesting deeper than MAX_STORED_DEPTH.
 */
export function toStoredJson(value: unknown): StoredJson {
  let text: string | undefined;
  try {
    text = JSON.stringify(value ?? null);
  } catch (error) {
    if (error instanceof RangeError) throw new UnstorableValueError('it is nested too deeply');
    if (typeof value === 'bigint' || /BigInt/i.test(String(error)))
      throw new UnstorableValueError('it contains a BigInt');
    if (/circular/i.test(String(error))) throw new UnstorableValueError('it contains a circular reference');
    throw new UnstorableValueError(error instanceof Error ? error.message : String(error));
  }
  // undefined, a function or a symbol at the top level: JSON has no such value.
  if (text === undefined) text = 'null';
  if (text.includes('\\u')) text = text.replace(UNSTORABLE_ESCAPE, '$1\\ufffd');
  if (text.length > 2 * MAX_STORED_DEPTH && nestingDepth(text) > MAX_STORED_DEPTH)
    throw new UnstorableValueError(`it is nested deeper than ${MAX_STORED_DEPTH} levels`);
  return { text, bytes: Buffer.byteLength(text, 'utf8') };
}

/** toStoredJson's text, for values the engine builds itself (events, job specs, foreach state). */
export function storedText(value: unknown): string {
  return toStoredJson(value).text;
}

/** The text's oid: a parameter of this type is sent as it is (a json-typed one would be serialised again). */
const TEXT_OID = 25;

/**
 * Serialised JSON as a statement parameter, typed text so the driver sends it as it is: the SQL casts it
 * (`${jsonParam(tx, text)}::jsonb`); a missing cast is an error from Postgres, not a silently re-encoded value.
 */
export function jsonParam(sql: Sql | TransactionSql, text: string | null): postgres.Parameter<string | null> {
  return sql.typed(text, TEXT_OID);
}

/** A value serialised now (throwing UnstorableValueError here, before any statement) as a parameter. */
export function storedParam(sql: Sql | TransactionSql, value: unknown): postgres.Parameter<string | null> {
  return jsonParam(sql, value === null || value === undefined ? null : storedText(value));
}

/** The deepest nesting of arrays and objects in JSON text (brackets inside strings do not count). */
function nestingDepth(text: string): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let at = 0; at < text.length; at++) {
    const code = text.charCodeAt(at);
    if (inString) {
      if (code === 92) at++;
      else if (code === 34) inString = false;
    } else if (code === 34) inString = true;
    else if (code === 123 || code === 91) {
      depth++;
      if (depth > deepest) deepest = depth;
    } else if (code === 125 || code === 93) depth--;
  }
  return deepest;
}

/** The error of a step whose output could not be stored (non-retryable: the same output would fail again). */
export function unstorableOutputError(nodeId: string, reason: string): AppError {
  return new AppError({
    code: 'E_OUTPUT_UNSTORABLE',
    message: `The output of step "${nodeId}" could not be stored: ${reason}.`,
    retryable: false,
    hint: 'Return plain JSON data (objects, arrays, strings, numbers, booleans, null) nested at most 1,000 levels: no BigInts, cycles or functions.',
  });
}
