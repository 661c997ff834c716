import type { StreamedBody } from '../multipart.ts';

/** A query value: undefined and null are left out, arrays repeat the parameter, booleans are `true`/`false`. */
export type QueryValue = string | number | boolean | null | undefined | readonly (string | number)[];

/** One request of a REST connector, before the credential is applied. `path` is filled, relative to the base URL. */
export type RestRequest = {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  path: string;
  query?: Record<string, QueryValue>;
  /** A JSON body. */
  json?: unknown;
  /** An `application/x-www-form-urlencoded` body (Stripe, Twilio). */
  form?: Record<string, QueryValue>;
  headers?: Record<string, string | undefined>;
  /** A body streamed as it is sent (multipart with stored files); sent once, never replayed. */
  stream?: StreamedBody;
};

/** A vendor's answer: the parsed JSON (or text, or null when empty), the status and lower-case headers. */
export type RestResponse = {
  status: number;
  headers: Headers;
  body: unknown;
};

export function appendQuery(params: URLSearchParams, values: Record<string, QueryValue>): void {
  for (const [name, value] of Object.entries(values)) {
    if (value === undefined || value === null) continue;
    if (Array.isArray(value)) for (const item of value) params.append(name, String(item));
    else params.append(name, String(value));
  }
}
