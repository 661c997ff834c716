import { z } from 'zod';
import { type BoundAuth, bindAuth } from '../sdk/auth/auth-style.ts';
import { bearerStyle } from '../sdk/auth/header-styles.ts';
import { OAuth2Credential, oauth2Style } from '../sdk/auth/oauth2.ts';
import { ConnectorError } from '../sdk/connector-error.ts';
import type { ConnectorEnvironment } from '../sdk/define.ts';
import { createRestClient, type RestApi, type RestClient } from '../sdk/rest/index.ts';

export const SALESFORCE_API_VERSION = 'v60.0';

const SALESFORCE_HOSTS = [
  '.salesforce.com',
  '.force.com',
  '.salesforce.mil',
  '.cloudforce.com',
  '.sfcrmproducts.cn',
];

/** Only a Salesforce host gets the token: an instance URL elsewhere is refused before anything is sent. */
export function isSalesforceHost(url: string): boolean {
  const parsed = URL.parse(url);
  if (parsed?.protocol !== 'https:') return false;
  return SALESFORCE_HOSTS.some((suffix) => parsed.hostname.endsWith(suffix));
}

const InstanceUrl = z
  .url({ protocol: /^https$/ })
  .refine(isSalesforceHost, 'an https URL on a Salesforce host, e.g. https://acme.my.salesforce.com')
  .describe('The org’s instance URL, e.g. "https://acme.my.salesforce.com".');

/** A token of the org (from `sf org display --json`, or a connected app's client-credentials flow) and where the org is. */
export const SalesforceCredential = z.strictObject({
  instanceUrl: InstanceUrl,
  accessToken: z
    .string()
    .min(20)
    .max(4096)
    .describe('An access (session) token of the org, sent as a bearer token.'),
});
export type SalesforceCredential = z.infer<typeof SalesforceCredential>;

/** What the connector's client is made from: a `salesforce` credential or an `oauth2` one connected with the salesforce provider. */
export type SalesforceAnyCredential = SalesforceCredential | OAuth2Credential;

type Access = { instanceUrl: string; auth: BoundAuth };

const SalesforceErrors = z
  .array(
    z.object({
      message: z.string().optional(),
      errorCode: z.string().optional(),
      fields: z.array(z.string()).optional(),
    }),
  )
  .min(1);

const CODE_HINTS: Readonly<Record<string, string>> = {
  INVALID_SESSION_ID:
    'The session expired or the token was revoked: store a new token with `vmesh credentials set NAME --type salesforce`, or connect again with `vmesh credentials connect NAME --type oauth2 --provider salesforce`.',
  REQUEST_LIMIT_EXCEEDED:
    'The org’s API request limit is used up; calls resume as the rolling 24-hour window frees requests.',
  MALFORMED_QUERY: 'Fix the SOQL: the message points at the spot.',
  INVALID_FIELD:
    'A field name is wrong for this object (custom fields end in __c); check it in Setup → Object Manager.',
  INVALID_TYPE: 'No such object: check the API name (custom objects end in __c).',
  NOT_FOUND: 'The record id names nothing (deleted, or of another object).',
  ENTITY_IS_DELETED: 'The record is in the recycle bin.',
  REQUIRED_FIELD_MISSING: 'Set the fields the message names.',
  DUPLICATE_VALUE: 'A record with that unique value exists already; update it instead.',
  FIELD_CUSTOM_VALIDATION_EXCEPTION:
    'A validation rule of the org refused the values; the message is the rule’s.',
  INSUFFICIENT_ACCESS_OR_READONLY: 'The user behind the token may not change this record or field.',
  INVALID_FIELD_FOR_INSERT_UPDATE: 'That field cannot be written (a formula, or read-only for this user).',
};

function accessOf(credential: SalesforceAnyCredential | undefined): Access | ConnectorError {
  const own = SalesforceCredential.safeParse(credential);
  if (own.success) {
    return {
      instanceUrl: own.data.instanceUrl,
      auth: bindAuth(bearerStyle, { token: own.data.accessToken }),
    };
  }
  const connected = OAuth2Credential.safeParse(credential);
  if (connected.success && connected.data.instanceUrl && isSalesforceHost(connected.data.instanceUrl)) {
    return { instanceUrl: connected.data.instanceUrl, auth: bindAuth(oauth2Style, connected.data) };
  }
  return new ConnectorError({
    code: 'E_CREDENTIAL',
    message: connected.success
      ? 'salesforce: the oauth2 credential names no Salesforce instance URL (it was not connected with the salesforce provider).'
      : 'salesforce: the credential is neither a salesforce credential nor an oauth2 one.',
    retryable: false,
    hint: 'Connect it with `vmesh credentials connect NAME --type oauth2 --provider salesforce`, or store {"instanceUrl","accessToken"} with `vmesh credentials set NAME --type salesforce`.',
  });
}

function salesforceApi(access: Access | undefined): RestApi<SalesforceAnyCredential> {
  return {
    connector: 'salesforce',
    baseUrl: `${access?.instanceUrl ?? 'https://login.salesforce.com'}/services/data/${SALESFORCE_API_VERSION}`,
    ...(access ? { auth: () => access.auth } : {}),
    vendorError(body) {
      const parsed = SalesforceErrors.safeParse(body);
      if (!parsed.success) return undefined;
      const [first] = parsed.data;
      const message = parsed.data
        .map(
          (error) =>
            `${error.message ?? error.errorCode ?? 'error'}${error.fields?.length ? ` (fields ${error.fields.join(', ')})` : ''}`,
        )
        .join('; ');
      const code = first?.errorCode;
      const hint = code ? CODE_HINTS[code] : undefined;
      return {
        message,
        vendorCode: code,
        ...(hint ? { hint } : {}),
        ...(code === 'REQUEST_LIMIT_EXCEEDED' || code === 'UNABLE_TO_LOCK_ROW' ? { retryable: true } : {}),
      };
    },
    hints: {
      401: CODE_HINTS.INVALID_SESSION_ID,
      403: 'The user behind the token lacks a permission (API Enabled, or access to this object).',
      404: 'The object or record does not exist (check API names; custom ones end in __c).',
    },
  };
}

/** A request limit answer is a 403 in Salesforce's words; here it is a rate limit, retried later. */
const LIMIT_WAIT_MS = 300_000;

export function createSalesforceClient(options: {
  credential: SalesforceAnyCredential | undefined;
  env: ConnectorEnvironment;
}): RestClient {
  const access = options.credential === undefined ? undefined : accessOf(options.credential);
  const client = createRestClient(salesforceApi(access instanceof ConnectorError ? undefined : access), {
    credential: options.credential,
    env: options.env,
  });
  return {
    connector: client.connector,
    baseUrl: client.baseUrl,
    async send(request, signal) {
      if (access instanceof ConnectorError) throw access;
      try {
        return await client.send(request, signal);
      } catch (error) {
        if (error instanceof ConnectorError && error.details?.vendorCode === 'REQUEST_LIMIT_EXCEEDED') {
          throw new ConnectorError({
            code: 'E_RATE_LIMITED',
            message: error.message,
            retryable: true,
            ...(error.status ? { status: error.status } : {}),
            retryAfterMs: error.retryAfterMs ?? LIMIT_WAIT_MS,
            hint: CODE_HINTS.REQUEST_LIMIT_EXCEEDED,
            details: { vendorCode: 'REQUEST_LIMIT_EXCEEDED' },
            cause: error,
          });
        }
        throw error;
      }
    },
  };
}

export const SObjectName = z
  .string()
  .regex(/^[A-Za-z][A-Za-z0-9_]{0,79}$/, 'an object API name such as "Lead" or "Invoice__c"')
  .describe('The object’s API name, e.g. "Lead", "Contact", "Opportunity" or a custom "Invoice__c".');

export const RecordId = z
  .string()
  .regex(/^[A-Za-z0-9]{15}([A-Za-z0-9]{3})?$/, 'a 15- or 18-character Salesforce record id')
  .describe('The record id (15 or 18 characters), e.g. "00Q5e00000AbCdEEAZ".');

const FieldName = z.string().regex(/^[A-Za-z][A-Za-z0-9_]{0,79}$/, 'a field API name');

export const RecordFields = z
  .record(FieldName, z.union([z.string().max(131_072), z.number(), z.boolean(), z.null()]))
  .refine((fields) => Object.keys(fields).length >= 1 && Object.keys(fields).length <= 500, '1 to 500 fields')
  .describe(
    'Field API names and values, e.g. {"LastName":"Lima","Company":"Acme","Email":"ana@example.com"}; dates as "2026-12-04", null clears a field.',
  );

/** A record as the API answers it, without its `attributes`. */
export function withoutAttributes(raw: unknown): Record<string, unknown> {
  const record = z.record(z.string(), z.unknown()).parse(raw);
  const { attributes: _attributes, ...fields } = record;
  return fields;
}

/** Salesforce writes offsets as `+0000`; ISO wants `+00:00`. */
export function isoOf(salesforceDate: string): string {
  return salesforceDate.replace(/([+-]\d{2})(\d{2})$/, '$1:$2');
}

export const SaveResult = z.object({ id: z.string(), success: z.boolean(), created: z.boolean().optional() });
