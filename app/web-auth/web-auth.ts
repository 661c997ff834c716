import { createHash, randomBytes } from 'node:crypto';
import { fastifyCookie } from '@fastify/cookie';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { audit, type PrincipalResolver } from '../../access/index.ts';
import type { Sql } from '../../db/index.ts';
import { logger } from '../../lib/index.ts';
import { AUTH_PAGE_CSP, type AuthPage, renderAuthPage } from './auth-pages.ts';
import { consumeLoginLink, peekLoginLink } from './login-links.ts';
import { createOidcClient, type OidcClient } from './oidc-client.ts';
import { userForOidcIdentity } from './oidc-users.ts';
import { safeReturnTo } from './return-to.ts';
import {
  createSession,
  csrfMatches,
  csrfTokenOf,
  findActiveSession,
  revokeSession,
  SESSION_COOKIE,
} from './session-store.ts';
import type { WebAuthConfig } from './web-auth-config.ts';

export const CSRF_HEADER = 'x-csrf-token';
const FORM_ROUTES = new Set([
  '/auth/link/:token',
  '/approve/:token',
  '/connect/:token',
  '/forms/:workflowId',
]);
const OIDC_COOKIE = 'vmesh_oidc';
const OIDC_COOKIE_PATH = '/auth/oidc';
const OIDC_ATTEMPT_MS = 10 * 60_000;
const COOKIE_VALUE = /^[A-Za-z0-9_-]{43}$/;
const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const ReturnToQuery = z.object({ returnTo: z.string().optional() });
const TokenParams = z.object({ token: z.string().max(200) });

const attemptIdOf = (value: string) => createHash('sha256').update(`vmesh-oidc:${value}`).digest('hex');

export type WebAuth = {
  /** For createHttpServer's principalResolvers: the `vmesh_session` cookie → its user (via 'web'). */
  resolvePrincipal: PrincipalResolver;
  /** The CSRF check and the /auth routes; call right after createHttpServer, before other routes. */
  register(app: FastifyInstance): void;
};

type SessionOfRequest = { cookieValue: string; sessionId: string; expiresAt: Date };

function cookiesOf(request: FastifyRequest): Record<string, string | undefined> {
  const header = request.headers.cookie;
  if (typeof header !== 'string' || header.length === 0) return {};
  try {
    // Parsed here, not by the plugin's own hook: authentication runs before that hook.
    return request.server.parseCookie(header);
  } catch {
    return {};
  }
}

/**
 * Web sign-in: sessions in `web_sessions` behind an HttpOnly cookie, a CSRF token on every state-changing
 * request the cookie authenticates, OIDC (code flow, PKCE, state, nonce) and one-time links from
 * `vmesh login-link`.
 */
export function createWebAuth(deps: { sql: Sql; config: WebAuthConfig }): WebAuth {
  const { sql, config } = deps;
  const oidc: OidcClient | undefined = config.oidc ? createOidcClient(config.oidc) : undefined;
  const sessions = new WeakMap<FastifyRequest, SessionOfRequest>();

  const cookieOptions = (maxAgeMs: number, path = '/') => ({
    path,
    httpOnly: true,
    // Lax, not Strict: the OIDC callback and a sign-in link opened from mail or chat are top-level navigations
    // from another site; Strict would withhold the cookies there. Lax still withholds them from cross-site
    // POSTs, fetches and frames, and every state change needs the CSRF token besides.
    sameSite: 'lax' as const,
    secure: config.secureCookies,
    maxAge: Math.max(0, Math.floor(maxAgeMs / 1000)),
  });
  const setCookie = (reply: FastifyReply, name: string, value: string, maxAgeMs: number, path?: string) =>
    reply.setCookie(name, value, cookieOptions(maxAgeMs, path));

  const resolvePrincipal: PrincipalResolver = async (request) => {
    // A bearer token decides alone; the cookie is for browsers.
    if (request.headers.authorization !== undefined) return undefined;
    const value = cookiesOf(request)[SESSION_COOKIE];
    if (value === undefined) return undefined;
    if (!COOKIE_VALUE.test(value)) return 'invalid';
    const session = await findActiveSession(sql, value);
    if (!session) return 'invalid';
    sessions.set(request, { cookieValue: value, sessionId: session.sessionId, expiresAt: session.expiresAt });
    return session.principal;
  };

  const page = (reply: FastifyReply, status: number, content: AuthPage) =>
    reply
      .code(status)
      .type('text/html; charset=utf-8')
      .header('content-security-policy', AUTH_PAGE_CSP)
      // The link's token is in this page's URL: it goes to no other site (and the button's POST keeps its Origin).
      .header('referrer-policy', 'same-origin')
      .header('cache-control', 'no-store')
      .send(renderAuthPage(content));

  /** A new session (never the one the browser brought: no fixation); the old one, if any, ends. */
  async function startSession(
    request: FastifyRequest,
    reply: FastifyReply,
    userId: string,
    method: 'oidc' | 'link',
  ): Promise<void> {
    const previous = sessions.get(request);
    if (previous) await revokeSession(sql, previous.sessionId);
    const session = await createSession(sql, {
      userId,
      method,
      times: { idleTimeoutMs: config.idleTimeoutMs, maxAgeMs: config.maxAgeMs },
      userAgent: request.headers['user-agent'],
      ip: request.ip,
    });
    setCookie(reply, SESSION_COOKIE, session.cookieValue, config.maxAgeMs);
    await audit(sql, {
      actor: `web:${method}`,
      via: 'web',
      action: 'login.succeeded',
      subjectType: 'user',
      subjectId: userId,
      details: {
        method,
        ip: request.ip,
        userAgent: String(request.headers['user-agent'] ?? '').slice(0, 200),
      },
    });
  }

  function sameOrigin(request: FastifyRequest): boolean {
    if (request.headers['sec-fetch-site'] === 'cross-site') return false;
    const origin = request.headers.origin;
    // No Origin: not a browser's cross-site form (browsers send one with every POST form).
    if (origin === undefined) return true;
    if (origin === config.publicUrl.origin) return true;
    // `null` (a sandboxed frame, a data: page) and anything unparsable are not this site.
    if (!URL.canParse(origin)) return false;
    const host = request.headers.host;
    return host !== undefined && new URL(origin).host === host;
  }

  function register(app: FastifyInstance): void {
    app.register(fastifyCookie);
    // Runs after authentication (installed by createHttpServer), before any handler.
    app.addHook('onRequest', async (request, reply) => {
      if (!STATE_CHANGING.has(request.method)) return;
      const session = sessions.get(request);
      // HTML forms carry their own proof instead of the header: the sign-in link's page, the approval link's page
      // (a form token bound to the link and to this session), and hosted workflow forms (a signed form token; they
      // act as nobody, signed in or not).
      if (!session || FORM_ROUTES.has(request.routeOptions.url ?? '')) return;
      const sent = request.headers[CSRF_HEADER];
      if (csrfMatches(session.cookieValue, typeof sent === 'string' ? sent : undefined)) return;
      return reply.code(403).send({
        error: {
          code: 'E_CSRF',
          message: 'This request came with the session cookie but without its CSRF token.',
          hint: `Send the session's token (csrfToken from GET /auth/session) in the ${CSRF_HEADER} header, or use Authorization: Bearer <token>.`,
        },
      });
    });

    app.register(
      async (auth) => {
        // The link confirmation form posts an empty urlencoded body.
        auth.addContentTypeParser(
          'application/x-www-form-urlencoded',
          { parseAs: 'string' },
          (_r, _b, done) => done(null, {}),
        );

        auth.get('/session', async (request, reply) => {
          reply.header('cache-control', 'no-store');
          const principal = request.principal;
          const signIn = { oidc: oidc !== undefined, loginLink: true };
          if (!principal) {
            if (cookiesOf(request)[SESSION_COOKIE] !== undefined) {
              setCookie(reply, SESSION_COOKIE, '', 0);
              reply.header('x-vmesh-cleared-session', '1');
            }
            return reply.code(401).send({
              error: {
                code: 'E_UNAUTHORIZED',
                message: 'Not signed in.',
                hint: oidc
                  ? 'Sign in at /auth/oidc/login, or ask for a link: vmesh login-link NAME.'
                  : 'Ask for a sign-in link: vmesh login-link NAME (run where the server runs); the owner can also use the link npm start printed.',
              },
              signIn,
            });
          }
          const session = sessions.get(request);
          return {
            user: { id: principal.userId, name: principal.name, role: principal.role },
            via: principal.via,
            identity: principal.identity,
            session: session
              ? { csrfToken: csrfTokenOf(session.cookieValue), expiresAt: session.expiresAt.toISOString() }
              : null,
            signIn,
          };
        });

        auth.post('/logout', async (request, reply) => {
          const session = sessions.get(request);
          if (!session) {
            return reply.code(401).send({
              error: {
                code: 'E_UNAUTHORIZED',
                message: 'This request has no web session to end.',
                hint: 'Logout is for browsers signed in with a session cookie.',
              },
            });
          }
          await revokeSession(sql, session.sessionId);
          setCookie(reply, SESSION_COOKIE, '', 0);
          await audit(sql, {
            principal: request.principal,
            via: 'web',
            action: 'session.logged_out',
            subjectType: 'session',
            subjectId: session.sessionId.slice(0, 12),
          });
          return { signedOut: true };
        });

        auth.get('/oidc/login', async (request, reply) => {
          if (!oidc) {
            return reply.code(404).send({
              error: {
                code: 'E_OIDC_OFF',
                message: 'OIDC sign-in is not configured on this server.',
                hint: 'Set VMESH_OIDC_ISSUER, VMESH_OIDC_CLIENT_ID and VMESH_OIDC_CLIENT_SECRET, or use `vmesh login-link`.',
              },
            });
          }
          const query = ReturnToQuery.safeParse(request.query);
          const returnTo = safeReturnTo(query.success ? query.data.returnTo : undefined);
          let begun: Awaited<ReturnType<OidcClient['begin']>>;
          try {
            begun = await oidc.begin();
          } catch (error) {
            logger.warn({ err: error }, 'OIDC discovery failed');
            return page(reply, 502, {
              title: 'Sign-in is unavailable',
              message:
                'The OpenID provider could not be reached or answered with invalid metadata. Try again later.',
            });
          }
          const attempt = randomBytes(32).toString('base64url');
          await sql`delete from web_oidc_attempts where expires_at < now()`;
          await sql`
            insert into web_oidc_attempts (id, state, nonce, code_verifier, return_to, expires_at)
            values (${attemptIdOf(attempt)}, ${begun.checks.state}, ${begun.checks.nonce},
                    ${begun.checks.codeVerifier}, ${returnTo}, ${new Date(Date.now() + OIDC_ATTEMPT_MS)})`;
          setCookie(reply, OIDC_COOKIE, attempt, OIDC_ATTEMPT_MS, OIDC_COOKIE_PATH);
          return reply.header('cache-control', 'no-store').redirect(begun.url.toString(), 302);
        });

        auth.get('/oidc/callback', async (request, reply) => {
          if (!oidc || !config.oidc) return reply.code(404).send({ error: { code: 'E_OIDC_OFF' } });
          const attempt = cookiesOf(request)[OIDC_COOKIE];
          setCookie(reply, OIDC_COOKIE, '', 0, OIDC_COOKIE_PATH);
          const restart = { href: '/', text: 'Back to VelocityMesh' };
          const rows =
            attempt && COOKIE_VALUE.test(attempt)
              ? await sql`
                  delete from web_oidc_attempts where id = ${attemptIdOf(attempt)} and expires_at > now()
                  returning state, nonce, code_verifier, return_to`
              : [];
          const row = rows[0];
          if (!row) {
            return page(reply, 400, {
              title: 'Sign-in expired',
              message:
                'This sign-in was not started in this browser, was already used, or took longer than 10 minutes. Start again.',
              link: restart,
            });
          }
          const search = request.url.includes('?') ? request.url.slice(request.url.indexOf('?')) : '';
          let identity: Awaited<ReturnType<OidcClient['finish']>>;
          try {
            identity = await oidc.finish(search, {
              state: String(row.state),
              nonce: String(row.nonce),
              codeVerifier: String(row.codeVerifier),
            });
          } catch (error) {
            const code = (error as { code?: unknown }).code;
            logger.warn({ code, message: (error as Error).message }, 'OIDC callback refused');
            return page(reply, 400, {
              title: 'Sign-in failed',
              message:
                'The answer from the OpenID provider failed a check (state, issuer, nonce, code or signature). Start again.',
              link: restart,
            });
          }
          const result = await userForOidcIdentity(sql, identity, config.oidc);
          if (result.kind === 'refused') {
            return page(reply, 403, {
              title: 'Not allowed in',
              message: `${result.message} ${result.hint}`,
              command: result.command,
            });
          }
          await startSession(request, reply, result.userId, 'oidc');
          return reply.header('cache-control', 'no-store').redirect(safeReturnTo(row.returnTo), 302);
        });

        auth.get('/link/:token', async (request, reply) => {
          const { token } = TokenParams.parse(request.params);
          const link = await peekLoginLink(sql, token);
          const query = ReturnToQuery.safeParse(request.query);
          const returnTo = safeReturnTo(query.success ? query.data.returnTo : undefined);
          if (link.state === 'unusable') return unusableLink(reply);
          return page(reply, 200, {
            title: 'Sign in to VelocityMesh',
            message: `This one-time link signs you in as ${link.userName}.`,
            form: {
              action: `/auth/link/${encodeURIComponent(token)}${returnTo === '/' ? '' : `?returnTo=${encodeURIComponent(returnTo)}`}`,
              button: `Sign in as ${link.userName}`,
            },
          });
        });

        auth.post('/link/:token', async (request, reply) => {
          if (!sameOrigin(request)) {
            return page(reply, 403, {
              title: 'Refused',
              message: 'A sign-in link is used from its own page, not from another site.',
            });
          }
          const { token } = TokenParams.parse(request.params);
          const userId = await consumeLoginLink(sql, token);
          if (!userId) return unusableLink(reply);
          const query = ReturnToQuery.safeParse(request.query);
          await startSession(request, reply, userId, 'link');
          return reply
            .header('cache-control', 'no-store')
            .redirect(safeReturnTo(query.success ? query.data.returnTo : undefined), 303);
        });

        const unusableLink = (reply: FastifyReply) =>
          page(reply, 410, {
            title: 'This link cannot be used',
            message:
              'Sign-in links work once and only for a short time. Ask for a new one, made where the server runs:',
            command: 'vmesh login-link NAME',
          });
      },
      { prefix: '/auth' },
    );
  }

  return { resolvePrincipal, register };
}
