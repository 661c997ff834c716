import { z } from 'zod';
import { bindAuth } from '../sdk/auth/auth-style.ts';
import { type OAuth2Credential, oauth2Style } from '../sdk/auth/oauth2.ts';
import { apiKeyQueryStyle } from '../sdk/auth/url-styles.ts';
import type { RestApi } from '../sdk/rest/index.ts';

export const PIPEDRIVE_API_URL = 'https://api.pipedrive.com/api';

export const PipedriveToken = z.strictObject({
  apiToken: z
    .string()
    .regex(
      /^[A-Za-z0-9]{20,80}$/,
      'a Pipedrive API token (40 hex characters from Personal preferences → API)',
    )
    .describe('The personal API token, sent as the api_token query parameter.'),
  companyDomain: z
    .string()
    .regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'the company domain: "acme" of acme.pipedrive.com')
    .optional()
    .describe(
      'The company domain, "acme" for acme.pipedrive.com; requests then go to https://acme.pipedrive.com/api.',
    ),
});
export type PipedriveToken = z.infer<typeof PipedriveToken>;

/** What the client receives: an API token (`pipedrive`) or a connected `oauth2` credential. */
export type PipedriveCredential = PipedriveToken | OAuth2Credential;

/** The API root of a credential: its company domain's, else api.pipedrive.com (which serves every company). */
export function pipedriveBaseUrl(credential: PipedriveCredential | undefined): string {
  return credential && 'companyDomain' in credential && credential.companyDomain
    ? `https://${credential.companyDomain}.pipedrive.com/api`
    : PIPEDRIVE_API_URL;
}

const PipedriveErrorBody = z.object({
  success: z.literal(false),
  error: z.string().optional(),
  error_info: z.string().optional(),
  code: z.string().optional(),
  errorCode: z.union([z.number(), z.string()]).optional(),
});

const AUTH_HINT =
  'Pipedrive refused the credential: copy the API token again (Personal preferences → API) and store it with `vmesh credentials set NAME --type pipedrive`, or connect again with `vmesh credentials connect NAME --type oauth2 --provider pipedrive`.';

/** Pipedrive API v1/v2: errors are `{ success: false, error, error_info }`; 429s carry x-ratelimit-* headers. */
export const pipedriveApi: RestApi<PipedriveCredential> = {
  connector: 'pipedrive',
  baseUrl: PIPEDRIVE_API_URL,
  auth: (credential) =>
    'accessToken' in credential
      ? bindAuth(oauth2Style, credential)
      : bindAuth(apiKeyQueryStyle, { name: 'api_token', value: credential.apiToken }),
  vendorError(body) {
    const parsed = PipedriveErrorBody.safeParse(body);
    if (!parsed.success) return undefined;
    const { error, error_info: info, code, errorCode } = parsed.data;
    return {
      message: [error, info && !info.startsWith('Please check developers') ? info : undefined]
        .filter(Boolean)
        .join(': '),
      vendorCode: code ?? (errorCode === undefined ? undefined : String(errorCode)),
    };
  },
  hints: {
    400: 'Pipedrive refused a field: the message names it (ids must exist, dates are YYYY-MM-DD, times HH:MM).',
    401: AUTH_HINT,
    403: 'The user of this credential may not do this (permission sets), or the app lacks the scope.',
    404: 'No deal, person or activity with this id (or it was deleted): check the id.',
    429: 'Pipedrive’s rate limit was reached; the step waits until x-ratelimit-reset and tries again.',
  },
};

export const PipedriveId = z.number().int().positive();

export const PipedriveAnswer = z.object({ success: z.literal(true), data: z.unknown() });

export function dataOf(body: unknown): unknown {
  return PipedriveAnswer.parse(body).data;
}

export const CustomFields = z
  .record(z.string().regex(/^[A-Za-z0-9_]{1,64}$/), z.unknown())
  .optional()
  .describe(
    'Custom field values by their API key (the 40-character hash from Company settings → Data fields).',
  );
