import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import { needs, type Principal, principalOf } from '../../access/index.ts';
import { escapeHtml } from '../../lib/index.ts';
import {
  type ConnectLinks,
  type ConnectLinkView,
  ConnectToken,
  type FormField,
  type LinkRefusal,
} from '../store/connect-links.ts';
import { parseRequest } from './http-errors.ts';
import type { RouteDoc } from './openapi.ts';

const NameParams = z.object({ name: z.string().min(1).max(64) });
export const ConnectCredentialBody = z.strictObject({
  type: z.string().min(1).max(64),
  /** oauth2: a provider preset (google, slack, …) whose app the installation configured (VMESH_OAUTH_*). */
  provider: z.string().min(1).max(40).optional(),
  /** oauth2: authorizeUrl, tokenUrl, clientId, clientSecret, scopes (override the provider's); others: none. */
  fields: z.record(z.string(), z.unknown()).optional(),
});
const CallbackQuery = z.object({
  code: z.string().max(4096).optional(),
  state: z.string().max(200).optional(),
  error: z.string().max(200).optional(),
});

export const CONNECT_ROUTE_DOCS: RouteDoc[] = [
  {
    method: 'post',
    path: '/api/credentials/{name}/connect',
    summary:
      'A one-time link (30 min) for you to connect credential NAME in a browser → { url } (`<VMESH_PUBLIC_URL>/connect/<token>`). type oauth2 with provider (a preset: google, microsoft, github, slack, hubspot, notion, pipedrive, salesforce, dropbox, linear, x; its app from VMESH_OAUTH_<PROVIDER>_CLIENT_ID/_CLIENT_SECRET) and/or fields { authorizeUrl, tokenUrl, clientId, clientSecret, scopes? } (override the preset): the link goes to the provider and back to /oauth/callback; other auth styles: the link opens a form where the key is pasted. Audited credential.connect_link_created',
    body: ConnectCredentialBody,
  },
];

const CSP =
  "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

function page(reply: FastifyReply, status: number, title: string, body: string) {
  return (
    reply
      .code(status)
      .type('text/html; charset=utf-8')
      .header('cache-control', 'no-store')
      // The token is in the URL: it goes to no other site. Not no-referrer: under it the browser sends
      // `Origin: null` with the form, and the reach guard refuses that.
      .header('referrer-policy', 'same-origin')
      .header('content-security-policy', CSP)
      .header('x-frame-options', 'DENY')
      .send(
        `<!doctype html><html><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">` +
          `<title>${escapeHtml(title)}</title></head>` +
          `<body style="font-family:sans-serif;max-width:36rem;margin:1rem auto;padding:0 1rem;line-height:1.4">${body}</body></html>`,
      )
  );
}

const REFUSALS: Record<LinkRefusal | 'bad_state', { status: number; title: string; text: string }> = {
  gone: {
    status: 410,
    title: 'Link used or expired',
    text: 'This connect link was already used or has expired. Ask for a new one (<code>vmesh credentials connect NAME</code>).',
  },
  sign_in: {
    status: 401,
    title: 'Sign in first',
    text: 'Sign in on this server&#39;s web page as the person who asked for this link, then open it again in the same browser.',
  },
  other_person: {
    status: 403,
    title: 'Not your link',
    text: 'This link was made for somebody else: you are signed in as another person. Open it in the browser of the person who asked for it.',
  },
  bad_state: {
    status: 400,
    title: 'Unknown sign-in answer',
    text: 'This answer from the provider matches no open connect link (it was used already, has expired, or was changed). Ask for a new link.',
  },
};

function refusedPage(reply: FastifyReply, why: LinkRefusal | 'bad_state') {
  const refusal = REFUSALS[why];
  return page(reply, refusal.status, refusal.title, `<h1>${refusal.title}</h1><p>${refusal.text}</p>`);
}

function connectedPage(reply: FastifyReply, link: ConnectLinkView) {
  const name = escapeHtml(link.credentialName);
  return page(
    reply,
    200,
    'Connected',
    `<h1>Connected</h1><p>The credential <strong>${name}</strong> is connected. You can close this page.</p>`,
  );
}

function formPage(
  reply: FastifyReply,
  status: number,
  link: ConnectLinkView,
  fields: readonly FormField[],
  formToken: string,
  message?: string,
) {
  const inputs = fields
    .map((field) => {
      const id = `f-${escapeHtml(field.name)}`;
      const hint = field.list ? ' (separate with spaces)' : '';
      return (
        `<p><label for="${id}">${escapeHtml(field.label)}${field.optional ? ' (optional)' : ''}${hint}</label><br>` +
        `<input id="${id}" name="${escapeHtml(field.name)}" type="${field.secret ? 'password' : 'text'}" autocomplete="off"` +
        ` style="width:100%;box-sizing:border-box;font-size:1rem;padding:.4rem"${field.optional ? '' : ' required'}></p>`
      );
    })
    .join('');
  return page(
    reply,
    status,
    `Connect ${link.credentialName}`,
    `<h1>Connect ${escapeHtml(link.credentialName)}</h1><p>Type: ${escapeHtml(link.type)}</p>` +
      (message ? `<p role="alert" style="color:#a00">${escapeHtml(message)}</p>` : '') +
      `<form method="post"><input type="hidden" name="form" value="${formToken}">${inputs}` +
      '<p><button style="font-size:1rem;padding:.5rem 1rem">Save</button></p></form>',
  );
}

/**
 * POST /api/credentials/:name/connect, and the pages of its links: GET/POST /connect/:token (a paste form, or a
 * redirect to the OAuth2 provider) and GET /oauth/callback. The form carries a token this server signs over the
 * link and the browser's session (CSRF); no page ever shows a secret, and what was typed is never echoed.
 */
export function registerConnectRoutes(app: FastifyInstance, links: ConnectLinks): void {
  const key = randomBytes(32);
  const formToken = (token: string, viewer: Principal | undefined) =>
    createHmac('sha256', key)
      .update(
        `connect-form:${createHmac('sha256', key).update(token).digest('hex')}:${viewer?.browserSession ? viewer.identity : 'link'}`,
      )
      .digest('base64url');
  const formTokenValid = (token: string, viewer: Principal | undefined, given: string) => {
    const expected = Buffer.from(formToken(token, viewer));
    const actual = Buffer.from(given);
    return expected.length === actual.length && timingSafeEqual(expected, actual);
  };

  app.post('/api/credentials/:name/connect', needs('credential.manage'), async (request) => {
    const { name } = parseRequest(NameParams, request.params, 'path');
    const body = parseRequest(ConnectCredentialBody, request.body, 'body');
    const url = await links.create(
      {
        name,
        type: body.type,
        ...(body.fields ? { fields: body.fields } : {}),
        ...(body.provider ? { provider: body.provider } : {}),
      },
      principalOf(request),
    );
    return { url };
  });

  app.get('/connect/:token', async (request, reply) => {
    const token = ConnectToken.safeParse((request.params as { token?: unknown }).token);
    if (!token.success) return refusedPage(reply, 'gone');
    const opened = await links.open(token.data, request.principal);
    if (opened.kind === 'refused') return refusedPage(reply, opened.why);
    if (opened.kind === 'redirect')
      return reply
        .code(302)
        .header('cache-control', 'no-store')
        .header('referrer-policy', 'no-referrer')
        .redirect(opened.location);
    return formPage(reply, 200, opened.link, opened.fields, formToken(token.data, request.principal));
  });

  app.get('/oauth/callback', async (request, reply) => {
    const query = CallbackQuery.safeParse(request.query);
    if (!query.success) return refusedPage(reply, 'bad_state');
    const result = await links.callback(
      {
        ...(query.data.code ? { code: query.data.code } : {}),
        ...(query.data.state ? { state: query.data.state } : {}),
        ...(query.data.error ? { error: query.data.error } : {}),
      },
      request.principal,
    );
    if (result.kind === 'refused') return refusedPage(reply, result.why);
    if (result.kind === 'failed')
      return page(
        reply,
        502,
        'Not connected',
        `<h1>Not connected</h1><p>${escapeHtml(result.message)}</p><p>Ask for a new link (<code>vmesh credentials connect ${escapeHtml(result.link.credentialName)}</code>).</p>`,
      );
    return connectedPage(reply, result.link);
  });

  app.register(async (scope) => {
    const FORM = 'application/x-www-form-urlencoded';
    if (!scope.hasContentTypeParser(FORM))
      scope.addContentTypeParser(FORM, { parseAs: 'string', bodyLimit: 64 * 1024 }, (_request, body, done) =>
        done(null, String(body)),
      );
    scope.post('/connect/:token', async (request, reply) => {
      const token = ConnectToken.safeParse((request.params as { token?: unknown }).token);
      if (!token.success) return refusedPage(reply, 'gone');
      const raw = request.body;
      const form: Record<string, string> =
        typeof raw === 'string' || Buffer.isBuffer(raw)
          ? Object.fromEntries(new URLSearchParams(String(raw)))
          : z.record(z.string(), z.string()).catch({}).parse(raw);
      if (!formTokenValid(token.data, request.principal, form.form ?? ''))
        return page(
          reply,
          403,
          'Refused',
          '<h1>This form did not come from the connect page.</h1><p>Open the link again.</p>',
        );
      const result = await links.submit(token.data, form, request.principal);
      if (result.kind === 'refused') return refusedPage(reply, result.why);
      if (result.kind === 'invalid')
        return formPage(
          reply,
          400,
          result.link,
          result.fields,
          formToken(token.data, request.principal),
          result.message,
        );
      return connectedPage(reply, result.link);
    });
  });
}
