import { z } from 'zod';
import { ConnectorError } from '../connector-error.ts';
import { defineAuthStyle } from './auth-style.ts';

export const ApiKeyQueryCredential = z.strictObject({
  name: z
    .string()
    .regex(
      /^[A-Za-z0-9_.\-[\]]{1,64}$/,
      'a query parameter name: letters, digits, `_`, `.`, `-`, `[` and `]`',
    )
    .describe('The query parameter, e.g. `api_key`.'),
  value: z.string().min(1).describe('The key, sent as the parameter’s value.'),
});

export const apiKeyQueryStyle = defineAuthStyle({
  type: 'api-key-query',
  title: 'API key in the query string',
  schema: ApiKeyQueryCredential,
  howToGet: 'The API key and the query parameter it goes in: {"name":"api_key","value":"…"}.',
  publicFields: ['name'],
  wireSecrets: (credential) => [
    credential.value,
    encodeURIComponent(credential.value),
    new URLSearchParams({ [credential.name]: credential.value }).toString(),
  ],
  async apply(request, credential) {
    const url = new URL(request.url);
    url.searchParams.set(credential.name, credential.value);
    return { ...request, url };
  },
});

/** The placeholder a URL carries where a `url-token` credential goes, as written and as URL parsing spells it. */
export const URL_TOKEN_PLACEHOLDER = '{token}';
const PLACEHOLDER_FORMS = /\{token\}|%7Btoken%7D/gi;

export function hasTokenPlaceholder(url: URL | string): boolean {
  PLACEHOLDER_FORMS.lastIndex = 0;
  return PLACEHOLDER_FORMS.test(String(url));
}

/** The token as a path segment carries it: percent-encoded, but for the characters a segment allows (`:` in Telegram's). */
function pathSegment(token: string): string {
  return encodeURIComponent(token).replace(/%(3A|40|21|24|26|27|28|29|2A|2B|2C|3B|3D)/gi, (escaped) =>
    decodeURIComponent(escaped),
  );
}

export const UrlTokenCredential = z.strictObject({
  token: z.string().min(1).describe('The token, put where the URL says `{token}`.'),
});

export const urlTokenStyle = defineAuthStyle({
  type: 'url-token',
  title: 'Token in the URL',
  schema: UrlTokenCredential,
  howToGet:
    'The token the service puts in its URLs (a Telegram bot token from @BotFather): {"token":"…"} or the bare token on stdin. Write the URL with `{token}` where it goes, e.g. https://api.telegram.org/bot{token}/sendMessage: it is filled in only when the request is sent.',
  fromToken: (token) => ({ token }),
  wireSecrets: (credential) => [
    credential.token,
    encodeURIComponent(credential.token),
    pathSegment(credential.token),
  ],
  async apply(request, credential) {
    if (!hasTokenPlaceholder(request.url.pathname)) {
      throw new ConnectorError({
        code: 'E_CREDENTIAL',
        message: `A url-token credential goes where the URL's path says ${URL_TOKEN_PLACEHOLDER}, and ${request.url.origin}${request.url.pathname} has none.`,
        retryable: false,
        hint: 'Write the URL with {token} where the token goes, e.g. https://api.telegram.org/bot{token}/sendMessage.',
      });
    }
    const url = new URL(request.url);
    url.pathname = url.pathname.replace(PLACEHOLDER_FORMS, pathSegment(credential.token));
    return { ...request, url };
  },
});
