import { z } from 'zod';
import { bindAuth } from '../sdk/auth/auth-style.ts';
import { bearerStyle } from '../sdk/auth/header-styles.ts';
import { ConnectorError } from '../sdk/connector-error.ts';
import type { RestApi, RestClient } from '../sdk/rest/index.ts';

export const CALENDLY_API_URL = 'https://api.calendly.com';

export const CalendlyCredential = z.strictObject({
  token: z
    .string()
    .regex(/^[A-Za-z0-9_\-.]{20,4000}$/, 'a Calendly personal access token (a long JWT)')
    .describe('A personal access token (Integrations & apps → API and webhooks), or an OAuth access token.'),
});
export type CalendlyCredential = z.infer<typeof CalendlyCredential>;

const CalendlyErrorBody = z.object({
  title: z.string().optional(),
  message: z.string().optional(),
  details: z
    .array(z.object({ parameter: z.string().optional(), message: z.string().optional() }).loose())
    .max(50)
    .optional(),
});

/** Calendly API v2; the error body is `{ title, message, details: [{ parameter, message }] }`. */
export const calendlyApi: RestApi<CalendlyCredential> = {
  connector: 'calendly',
  baseUrl: CALENDLY_API_URL,
  auth: (credential) => bindAuth(bearerStyle, { token: credential.token }),
  vendorError(body) {
    const parsed = CalendlyErrorBody.safeParse(body);
    if (!parsed.success || (parsed.data.title === undefined && parsed.data.message === undefined))
      return undefined;
    const { title, message, details } = parsed.data;
    const detail = details?.[0];
    const extra = detail?.message
      ? ` (${detail.parameter ? `${detail.parameter}: ` : ''}${detail.message})`
      : '';
    return {
      message: `${title ?? 'Calendly error'}: ${message ?? ''}${extra}`.trim(),
      vendorCode: title,
      ...(title === 'Already Exists'
        ? { hint: 'A webhook subscription for this URL exists already; it is reused on the next attempt.' }
        : {}),
    };
  },
  hints: {
    400: 'Change the parameter the details name (times are ISO, count at most 100).',
    401: 'The Calendly token was revoked or expired: make a new personal access token (Integrations & apps → API and webhooks) and store it with `vmesh credentials set NAME --type calendly`.',
    403: 'The token may not do this: organization scope needs an owner or admin; webhooks need a paid plan.',
    404: 'Check the URI: the user, event or subscription does not exist or belongs to another organization.',
  },
};

const Me = z.object({
  resource: z
    .object({ uri: z.string(), name: z.string().optional(), current_organization: z.string() })
    .loose(),
});

/** The token's user and organization URIs (GET /users/me). */
export async function currentUser(
  client: RestClient,
  signal: AbortSignal,
): Promise<{ uri: string; organization: string; name: string | undefined }> {
  const me = Me.safeParse((await client.send({ method: 'GET', path: '/users/me' }, signal)).body);
  if (!me.success) {
    throw new ConnectorError({
      code: 'E_UPSTREAM',
      message: 'calendly: /users/me did not answer a user.',
      retryable: false,
      hint: 'Check the calendly base URL: it must be https://api.calendly.com.',
    });
  }
  return {
    uri: me.data.resource.uri,
    organization: me.data.resource.current_organization,
    name: me.data.resource.name,
  };
}

/** The last path segment of a Calendly URI: https://api.calendly.com/webhook_subscriptions/AAA → AAA. */
export function uuidOf(uri: string): string {
  return uri.split('/').filter(Boolean).at(-1) ?? uri;
}

export const CalendlyUri = z
  .string()
  .regex(/^https:\/\/api\.calendly\.com\/[a-z_]+\/[A-Za-z0-9-]{1,64}$/, 'a Calendly API URI');
