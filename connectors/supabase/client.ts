import { z } from 'zod';
import type { AuthRequest, BoundAuth } from '../sdk/auth/auth-style.ts';
import type { ConnectorEnvironment } from '../sdk/define.ts';
import { createRestClient, type RestApi, type RestClient, type VendorError } from '../sdk/rest/index.ts';
import { SiteUrl } from '../wordpress/site-url.ts';

export const SupabaseCredential = z.strictObject({
  projectUrl: SiteUrl.describe(
    'The project URL from Project Settings → API, e.g. "https://abcdefghij.supabase.co".',
  ),
  apiKey: z
    .string()
    .min(20)
    .max(4000)
    .regex(
      /^[A-Za-z0-9._-]+$/,
      'a Supabase API key (a service_role or anon JWT, or sb_secret_… / sb_publishable_…)',
    )
    .describe(
      'The service_role (or secret) key to bypass row level security, or the anon key to go through it.',
    ),
});
export type SupabaseCredential = z.infer<typeof SupabaseCredential>;

/** A legacy key is a JWT and goes in both headers; the new sb_… keys only in `apikey` (they are no JWTs). */
export function isJwtKey(apiKey: string): boolean {
  return apiKey.startsWith('eyJ');
}

export function supabaseAuth(credential: SupabaseCredential): BoundAuth {
  return {
    type: 'supabase',
    async apply(request: AuthRequest) {
      const headers = new Headers(request.headers);
      headers.set('apikey', credential.apiKey);
      if (isJwtKey(credential.apiKey)) headers.set('authorization', `Bearer ${credential.apiKey}`);
      return { ...request, headers };
    },
  };
}

/** PostgREST's `{ code, message, details, hint }`, the gateway's `{ message, hint }` and Storage's `{ statusCode, error, message }`. */
const SupabaseErrorBody = z.object({
  code: z.union([z.string(), z.number()]).nullable().optional(),
  message: z.string().optional(),
  msg: z.string().optional(),
  details: z.string().nullable().optional(),
  hint: z.string().nullable().optional(),
  error: z.string().optional(),
  statusCode: z.union([z.string(), z.number()]).optional(),
});

const CODE_HINTS: Readonly<Record<string, string>> = {
  '42P01':
    'The table does not exist: check the name (and `schema`), and that the schema is exposed in Project Settings → API.',
  PGRST205:
    "The table is not in the API’s schema cache: check the name and `schema`; a new table may need `notify pgrst, 'reload schema'`.",
  PGRST204: 'A column named in the rows does not exist in the table: fix the column name.',
  '42703': 'A column in the filters, order or columns does not exist: fix its name.',
  '42501':
    'Row level security refused it: use the service_role key, or add a policy that allows it for this key.',
  '23505': 'A row with that unique key exists already: use upsertRows to update it instead.',
  '23503': 'A foreign key does not match a row of the referenced table.',
  '23502': 'A required column (NOT NULL) has no value in a row.',
  '22P02': 'A value has the wrong type for its column (text where a number or uuid is expected).',
  '21000': 'Supabase refuses UPDATE or DELETE without a filter: add a filter.',
  PGRST116: 'The filters match no row, or more than one where one was expected.',
  PGRST301: 'The key is not a valid JWT for this project: copy the key again from Project Settings → API.',
  PGRST100: 'A filter or order could not be parsed: check the operators and values.',
  not_found: 'Check the bucket and the path: there is no such object (paths are case-sensitive).',
  Duplicate: 'The object exists already: set upsert true to replace it.',
  InvalidJWT:
    'The key was not accepted by Storage: copy the service_role key again from Project Settings → API.',
  Bucket_not_found: 'There is no bucket with that name: create it in Storage, or fix `bucket`.',
};

export function readSupabaseError(body: unknown): VendorError | undefined {
  const parsed = SupabaseErrorBody.safeParse(body);
  if (!parsed.success) return undefined;
  const { code, message, msg, details, hint, error } = parsed.data;
  const vendorCode = code === null || code === undefined ? error : String(code);
  const text = [message ?? msg ?? error, details].filter(Boolean).join(': ');
  const known = vendorCode
    ? (CODE_HINTS[vendorCode] ?? CODE_HINTS[vendorCode.replace(/\s+/g, '_')])
    : undefined;
  return {
    message: text || undefined,
    vendorCode,
    hint: known ?? hint ?? undefined,
  };
}

export const supabaseApi: RestApi<SupabaseCredential> = {
  connector: 'supabase',
  baseUrl: 'https://project.supabase.invalid',
  auth: supabaseAuth,
  vendorError: readSupabaseError,
  hints: {
    401: 'Supabase refused the API key (rotated, or of another project): copy it again from Project Settings → API and store it with `vmesh credentials set NAME --type supabase`.',
    403: 'The key may not do this: row level security or a missing grant; the service_role key bypasses RLS.',
    404: 'Check the table (or bucket and path) name; the table’s schema must be exposed to the API.',
  },
};

/** The project's client: `env.baseUrls.supabase` (tests) replaces the project URL. */
export function createSupabaseClient(options: {
  credential: SupabaseCredential | undefined;
  env: ConnectorEnvironment;
}): RestClient {
  const baseUrl = options.credential?.projectUrl ?? supabaseApi.baseUrl;
  return createRestClient({ ...supabaseApi, baseUrl }, options);
}

export const TableName = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]{0,62}$/, 'a table or view name: letters, digits and _')
  .describe('The table (or view) name, e.g. "orders".');

export const SchemaName = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]{0,62}$/)
  .optional()
  .describe('The schema, when not "public" (it must be exposed in the API settings), e.g. "sales".');

export const Row = z.record(z.string().max(63), z.unknown()).describe('One row: column → value.');

export const RowsOutput = z.object({
  rows: z.array(Row).describe('The rows as the table returned them (return=representation).'),
  count: z.number().int().describe('How many rows were written.'),
});

export function rowsOf(body: unknown): z.infer<typeof Row>[] {
  return z.array(Row).parse(body ?? []);
}

/** The profile headers PostgREST reads the schema from (GET/HEAD: Accept-Profile, writes: Content-Profile). */
export function profileHeaders(
  schema: string | undefined,
  write: boolean,
): Record<string, string | undefined> {
  if (!schema) return {};
  return write ? { 'content-profile': schema } : { 'accept-profile': schema };
}
