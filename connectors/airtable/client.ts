import { z } from 'zod';
import { bindAuth } from '../sdk/auth/auth-style.ts';
import { bearerStyle } from '../sdk/auth/header-styles.ts';
import type { RestApi } from '../sdk/rest/index.ts';

export const AIRTABLE_API_URL = 'https://api.airtable.com/v0';

export const AirtableCredential = z.strictObject({
  token: z
    .string()
    .regex(
      /^[A-Za-z0-9._-]{20,400}$/,
      'an Airtable personal access token ("pat…" from airtable.com/create/tokens)',
    )
    .describe('A personal access token (or an OAuth access token), sent as `Authorization: Bearer …`.'),
});
export type AirtableCredential = z.infer<typeof AirtableCredential>;

/** Airtable answers errors as `{ error: { type, message } }`, some as `{ error: "NOT_FOUND" }`, a 429 as `{ errors: [...] }`. */
const AirtableErrorBody = z.union([
  z.object({ error: z.object({ type: z.string(), message: z.string().optional() }).loose() }),
  z.object({ error: z.string(), message: z.string().optional() }),
  z.object({
    errors: z.array(z.object({ error: z.string(), message: z.string().optional() }).loose()).min(1),
  }),
]);

/** Airtable's documented wait after a 429: "wait 30 seconds before subsequent requests will succeed". */
export const AIRTABLE_RATE_LIMIT_WAIT_MS = 30_000;

const TYPE_HINTS: Record<string, string> = {
  UNKNOWN_FIELD_NAME:
    'A field name in `fields` does not exist in the table: use the exact column name (case and spaces matter), or set typecast for select options.',
  INVALID_VALUE_FOR_COLUMN:
    'A value does not fit its column type (a number column got text, a select an unknown option): fix the value or set typecast: true.',
  INVALID_MULTIPLE_CHOICE_OPTIONS:
    'A select option does not exist: add it in Airtable or set typecast: true.',
  INVALID_FILTER_BY_FORMULA:
    'The filter formula is not valid Airtable formula syntax; check field names in {braces}.',
  TABLE_NOT_FOUND:
    'The table name or id is wrong: use the name shown on the tab or the id tbl… from the URL.',
  INVALID_PERMISSIONS_OR_MODEL_NOT_FOUND:
    'The base id is wrong, or the token has no access to this base: add the base to the token at airtable.com/create/tokens.',
  INVALID_PERMISSIONS:
    'The token lacks a scope for this: data.records:read to read, data.records:write to create or update.',
  AUTHENTICATION_REQUIRED:
    'The token was revoked, expired or mistyped: create a new one at airtable.com/create/tokens and store it with `vmesh credentials set NAME --type airtable`.',
};

export function readAirtableError(body: unknown, status: number) {
  const parsed = AirtableErrorBody.safeParse(body);
  const wait = status === 429 ? { retryAfterMs: AIRTABLE_RATE_LIMIT_WAIT_MS } : {};
  if (!parsed.success) return status === 429 ? wait : undefined;
  const { data } = parsed;
  const [type, message] =
    'errors' in data
      ? [data.errors[0]?.error ?? 'ERROR', data.errors[0]?.message]
      : typeof data.error === 'string'
        ? [data.error, 'message' in data ? data.message : undefined]
        : [data.error.type, data.error.message];
  return { message: message ?? type, vendorCode: type, hint: TYPE_HINTS[type], ...wait };
}

/** Airtable Web API v0: bearer token, JSON bodies, errors as `{ error: { type, message } }`. */
export const airtableApi: RestApi<AirtableCredential> = {
  connector: 'airtable',
  baseUrl: AIRTABLE_API_URL,
  auth: (credential) => bindAuth(bearerStyle, { token: credential.token }),
  vendorError: readAirtableError,
  hints: {
    401: TYPE_HINTS.AUTHENTICATION_REQUIRED,
    403: TYPE_HINTS.INVALID_PERMISSIONS,
    404: 'The base, table or record does not exist (or the token cannot see it): check the ids in the Airtable URL (app…/tbl…/rec…).',
    422: 'Airtable refused the request body: the message names the field or value.',
    429: 'Airtable allows 5 requests per second per base; the step waits 30 seconds and tries again.',
  },
};

export const BaseId = z
  .string()
  .regex(/^app[A-Za-z0-9]{14}$/, 'an Airtable base id: "app" and 14 letters or digits')
  .describe('The base id from the Airtable URL, e.g. "appXXXXXXXXXXXXXX" (airtable.com/app…/tbl…).');
export const TableRef = z
  .string()
  .min(1)
  .max(255)
  .describe('The table name as on its tab, e.g. "Leads", or its id "tbl…" (safer: survives a rename).');
export const RecordId = z
  .string()
  .regex(/^rec[A-Za-z0-9]{14}$/, 'an Airtable record id: "rec" and 14 letters or digits')
  .describe('The record id, e.g. "recXXXXXXXXXXXXXX" (from createRecords or listRecords).');
export const Fields = z
  .record(z.string().min(1).max(255), z.unknown())
  .describe('Cell values by field (column) name, e.g. {"Name": "Ana", "Status": "New", "Amount": 1200}.');

const RecordBody = z.object({
  id: z.string(),
  createdTime: z.string(),
  fields: z.record(z.string(), z.unknown()).default({}),
});

export const AirtableRecord = z.object({
  id: z.string().describe('The record id (rec…).'),
  createdTime: z.string().describe('When the record was created (ISO).'),
  fields: z
    .record(z.string(), z.unknown())
    .describe('Its cell values by field name (empty cells are left out).'),
});
export type AirtableRecord = z.infer<typeof AirtableRecord>;

export function toRecord(raw: unknown): AirtableRecord {
  return RecordBody.parse(raw);
}

export const RecordList = z.object({ records: z.array(z.unknown()).max(100), offset: z.string().optional() });

export function recordsOf(body: unknown): AirtableRecord[] {
  return RecordList.parse(body).records.map(toRecord);
}
