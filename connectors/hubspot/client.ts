import { z } from 'zod';
import { bindAuth } from '../sdk/auth/auth-style.ts';
import { bearerStyle } from '../sdk/auth/header-styles.ts';
import { type OAuth2Credential, oauth2Style } from '../sdk/auth/oauth2.ts';
import type { RestApi, VendorError } from '../sdk/rest/index.ts';

export const HUBSPOT_API_URL = 'https://api.hubapi.com';

export const HubspotToken = z.strictObject({
  token: z
    .string()
    .regex(/^[A-Za-z0-9_-]{20,400}$/, 'a HubSpot private app access token ("pat-na1-…")')
    .describe('The access token of a HubSpot private app (Settings → Integrations → Private apps).'),
});
export type HubspotToken = z.infer<typeof HubspotToken>;

/** What the client receives: a private app token (`hubspot`) or a connected `oauth2` credential. */
export type HubspotCredential = HubspotToken | OAuth2Credential;

const HubspotErrorBody = z.object({
  status: z.literal('error'),
  message: z.string(),
  category: z.string().optional(),
  correlationId: z.string().optional(),
  errorType: z.string().optional(),
  policyName: z.string().optional(),
});

const CATEGORY_HINTS: Record<string, string> = {
  INVALID_AUTHENTICATION:
    'HubSpot refused the token: copy the private app’s access token again (Settings → Integrations → Private apps → Auth) and store it with `vmesh credentials set NAME --type hubspot`, or connect again with `vmesh credentials connect NAME --type oauth2 --provider hubspot`.',
  EXPIRED_AUTHENTICATION:
    'The OAuth access token expired and could not be renewed: connect again with `vmesh credentials connect NAME --type oauth2 --provider hubspot`.',
  MISSING_SCOPES:
    'The token lacks a scope for this object: give the private app crm.objects.<contacts|companies|deals>.read and .write (notes need the scope of the record they are on).',
  OBJECT_NOT_FOUND: 'No record with this id (or it was deleted or merged): search for it first.',
  VALIDATION_ERROR:
    'A property name or value is not valid: use the internal property names (Settings → Properties → the property’s internal name, e.g. "firstname", "dealstage").',
  CONFLICT:
    'A contact with this email already exists (its id is in the message): update it with updateContact instead, or search by email first.',
  RATE_LIMITS: 'HubSpot’s rate limit was reached; the step waits for the limit’s window and tries again.',
};

/** The wait a HubSpot 429 asks for: its policy's window, or the X-HubSpot-RateLimit-* headers' interval. */
function rateLimitWait(policy: string | undefined, headers: Headers): number | undefined {
  if (policy === 'SECONDLY' || headers.get('x-hubspot-ratelimit-secondly-remaining') === '0') return 1000;
  const interval = Number(headers.get('x-hubspot-ratelimit-interval-milliseconds'));
  if (headers.get('x-hubspot-ratelimit-remaining') === '0' && Number.isFinite(interval) && interval > 0)
    return Math.min(interval, 60_000);
  if (policy === 'TEN_SECONDLY_ROLLING') return 10_000;
  return undefined;
}

export function readHubspotError(body: unknown, status: number, headers: Headers): VendorError | undefined {
  const parsed = HubspotErrorBody.safeParse(body);
  const category = parsed.data?.category ?? (status === 429 ? 'RATE_LIMITS' : undefined);
  const daily =
    parsed.data?.policyName === 'DAILY' || headers.get('x-hubspot-ratelimit-daily-remaining') === '0';
  const wait = status === 429 && !daily ? rateLimitWait(parsed.data?.policyName, headers) : undefined;
  if (!parsed.success && wait === undefined) return undefined;
  return {
    message: parsed.data?.message,
    vendorCode: category,
    hint: daily
      ? 'The account’s daily HubSpot API limit is spent; it resets at midnight in the account’s time zone.'
      : category
        ? CATEGORY_HINTS[category]
        : undefined,
    ...(daily ? { retryable: false } : {}),
    ...(wait === undefined ? {} : { retryAfterMs: wait }),
  };
}

/** HubSpot CRM API v3: bearer token, errors `{ status: "error", message, category, correlationId }`. */
export const hubspotApi: RestApi<HubspotCredential> = {
  connector: 'hubspot',
  baseUrl: HUBSPOT_API_URL,
  auth: (credential) =>
    'accessToken' in credential
      ? bindAuth(oauth2Style, credential)
      : bindAuth(bearerStyle, { token: credential.token }),
  vendorError: readHubspotError,
  hints: {
    401: CATEGORY_HINTS.INVALID_AUTHENTICATION,
    403: CATEGORY_HINTS.MISSING_SCOPES,
    404: CATEGORY_HINTS.OBJECT_NOT_FOUND,
    409: CATEGORY_HINTS.CONFLICT,
  },
};

export const HubspotId = z
  .string()
  .regex(/^[0-9]{1,20}$/, 'a HubSpot record id (digits)')
  .describe('The record id (hs_object_id), e.g. "51"; from a create or search action.');

export const PropertyValues = z
  .record(
    z.string().regex(/^[A-Za-z0-9_]{1,100}$/, 'an internal property name (letters, digits, _)'),
    z.union([z.string().max(65_536), z.number(), z.boolean(), z.null()]),
  )
  .refine((values) => Object.keys(values).length <= 200, 'at most 200 properties');

const ObjectBody = z.object({
  id: z.string(),
  properties: z.record(z.string(), z.string().nullable()).default({}),
  createdAt: z.string(),
  updatedAt: z.string(),
  archived: z.boolean().default(false),
});

export const CrmRecord = z.object({
  id: z.string().describe('The record id.'),
  properties: z
    .record(z.string(), z.string().nullable())
    .describe('Property values by internal name, as HubSpot gives them (strings; null when empty).'),
  createdAt: z.string().describe('When it was created (ISO).'),
  updatedAt: z.string().describe('When it was last changed (ISO).'),
  archived: z.boolean().describe('Whether it is archived.'),
});
export type CrmRecord = z.infer<typeof CrmRecord>;

export function toCrmRecord(raw: unknown): CrmRecord {
  return ObjectBody.parse(raw);
}

/** HubSpot sends every property as a string; booleans and numbers are written the way it stores them. */
export function wireProperties(values: Record<string, string | number | boolean | null>) {
  return Object.fromEntries(
    Object.entries(values).map(([name, value]) => [name, value === null ? '' : String(value)]),
  );
}

export const SearchPage = z.object({
  total: z.number().int().optional(),
  results: z.array(z.unknown()).max(200),
  paging: z
    .object({ next: z.object({ after: z.string() }).loose().optional() })
    .loose()
    .optional(),
});
