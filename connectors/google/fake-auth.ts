import { generateKeyPairSync, randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { importSPKI, jwtVerify } from 'jose';
import type { OAuth2Credential } from '../sdk/auth/oauth2.ts';

// Google's OAuth 2.0 endpoints as a fake every Google API fake mounts: the token endpoint (refresh_token grant with
// the client secret in the form, RFC 7523 JWT bearer grant of a service account), tokeninfo, and the bearer check
// each API does, answering 401 with Google's error body.

/** Who a request acts as: the person connected with oauth2, or the service account. */
export type GooglePrincipal = { email: string; scopes: Set<string> };

/** Google's error body: `{ error: { code, message, status, errors: [{ message, domain, reason }] } }`. */
export function googleError(
  code: number,
  status: string,
  message: string,
  extra: { reason?: string; domain?: string; details?: unknown[] } = {},
) {
  return {
    error: {
      code,
      message,
      status,
      errors: [{ message, domain: extra.domain ?? 'global', reason: extra.reason ?? status.toLowerCase() }],
      ...(extra.details ? { details: extra.details } : {}),
    },
  };
}

export type GoogleFakeAuth = {
  /** Checks the bearer token; sends Google's 401 and returns undefined when it is unknown or expired. */
  principal(request: FastifyRequest, reply: FastifyReply): GooglePrincipal | undefined;
  /** An oauth2 credential of the fake person (provider `google`), as connecting would store it. */
  oauthCredential(scopes: readonly string[]): OAuth2Credential;
  /** A service-account key file with `scopes`, whose assertions the token endpoint verifies. */
  serviceAccount(scopes: readonly string[]): Record<string, unknown> & { client_email: string };
  /** Every access token issued so far stops working, as after their hour is up. */
  expireAccessTokens(): void;
  /** The person removed the app's access: refresh tokens are refused with invalid_grant. */
  revokeRefreshTokens(): void;
  refreshGrants(): number;
  readonly personEmail: string;
  readonly robotEmail: string;
};

const TOKEN_LIFETIME_S = 3599;

/** Mounts POST /token and POST /tokeninfo on `app` (whose URL is `url()` once it listens). */
export function mountGoogleAuth(app: FastifyInstance, url: () => string): GoogleFakeAuth {
  const personEmail = 'ana.lima@example.com';
  const robotEmail = 'vmesh-robot@vmesh-test.iam.gserviceaccount.com';
  const client = {
    id: '1234567890-fake.apps.googleusercontent.com',
    secret: `GOCSPX-${randomBytes(12).toString('hex')}`,
  };
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const privatePem = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
  const publicPem = publicKey.export({ format: 'pem', type: 'spki' }).toString();
  const access = new Map<string, GooglePrincipal>();
  const refresh = new Map<string, GooglePrincipal>();
  let grants = 0;

  const issue = (principal: GooglePrincipal) => {
    const token = `ya29.a0Fake${randomBytes(24).toString('base64url')}`;
    access.set(token, principal);
    return token;
  };

  app.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'string' },
    (_request, body, done) => done(null, Object.fromEntries(new URLSearchParams(String(body)))),
  );

  app.post('/token', async (request, reply) => {
    const form = (request.body ?? {}) as Record<string, string | undefined>;
    if (form.grant_type === 'refresh_token') {
      if (form.client_id !== client.id || form.client_secret !== client.secret) {
        return reply.code(401).send({ error: 'invalid_client', error_description: 'Unauthorized' });
      }
      const principal = refresh.get(form.refresh_token ?? '');
      if (!principal)
        return reply
          .code(400)
          .send({ error: 'invalid_grant', error_description: 'Token has been expired or revoked.' });
      grants += 1;
      const scope = [...principal.scopes].join(' ');
      return { access_token: issue(principal), expires_in: TOKEN_LIFETIME_S, scope, token_type: 'Bearer' };
    }
    if (form.grant_type === 'urn:ietf:params:oauth:grant-type:jwt-bearer') {
      try {
        const { payload } = await jwtVerify(form.assertion ?? '', await importSPKI(publicPem, 'RS256'), {
          issuer: robotEmail,
          audience: `${url()}/token`,
        });
        const scopes = new Set(
          String(payload.scope ?? '')
            .split(' ')
            .filter(Boolean),
        );
        return {
          access_token: issue({ email: robotEmail, scopes }),
          expires_in: TOKEN_LIFETIME_S,
          token_type: 'Bearer',
        };
      } catch {
        return reply.code(400).send({ error: 'invalid_grant', error_description: 'Invalid JWT Signature.' });
      }
    }
    return reply
      .code(400)
      .send({ error: 'unsupported_grant_type', error_description: 'Invalid grant_type.' });
  });

  app.post('/tokeninfo', async (request, reply) => {
    const token = request.headers.authorization?.replace(/^Bearer /, '') ?? '';
    const principal = access.get(token);
    if (!principal)
      return reply.code(400).send({ error: 'invalid_token', error_description: 'Invalid Value' });
    return {
      azp: client.id,
      aud: client.id,
      scope: [...principal.scopes].join(' '),
      exp: String(Math.floor(Date.now() / 1000) + TOKEN_LIFETIME_S),
      expires_in: String(TOKEN_LIFETIME_S),
      email: principal.email,
      email_verified: 'true',
    };
  });

  return {
    personEmail,
    robotEmail,
    principal(request, reply) {
      const token = request.headers.authorization?.replace(/^Bearer /, '') ?? '';
      const principal = access.get(token);
      if (principal) return principal;
      void reply
        .code(401)
        .header('www-authenticate', 'Bearer realm="https://accounts.google.com/", error="invalid_token"')
        .send(
          googleError(
            401,
            'UNAUTHENTICATED',
            'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.',
            { reason: 'authError' },
          ),
        );
      return undefined;
    },
    oauthCredential(scopes) {
      const principal = { email: personEmail, scopes: new Set(scopes) };
      const refreshToken = `1//0fake${randomBytes(24).toString('base64url')}`;
      refresh.set(refreshToken, principal);
      return {
        provider: 'google',
        authorizeUrl: 'https://accounts.google.com/o/oauth2/v2/auth',
        tokenUrl: `${url()}/token`,
        clientId: client.id,
        clientSecret: client.secret,
        scopes: [...scopes],
        accessToken: issue(principal),
        refreshToken,
        expiresAt: new Date(Date.now() + TOKEN_LIFETIME_S * 1000).toISOString(),
      };
    },
    serviceAccount(scopes) {
      return {
        type: 'service_account',
        project_id: 'vmesh-test',
        private_key_id: 'fakekey0001',
        private_key: privatePem,
        client_email: robotEmail,
        client_id: '109876543210987654321',
        token_uri: `${url()}/token`,
        scopes: [...scopes],
      };
    },
    expireAccessTokens: () => access.clear(),
    revokeRefreshTokens: () => refresh.clear(),
    refreshGrants: () => grants,
  };
}

/**
 * The file `principal` may open, or undefined once the answer is sent: Google's 404 when there is no such file,
 * its 403 when it is not shared with the principal's account.
 */
export function sharedFile<File>(
  reply: FastifyReply,
  file: File | undefined,
  sharedWith: (file: File) => ReadonlySet<string>,
  principal: GooglePrincipal,
): File | undefined {
  if (!file) {
    void reply
      .code(404)
      .send(googleError(404, 'NOT_FOUND', 'Requested entity was not found.', { reason: 'notFound' }));
    return undefined;
  }
  if (!sharedWith(file).has(principal.email)) {
    void reply
      .code(403)
      .send(
        googleError(403, 'PERMISSION_DENIED', 'The caller does not have permission', { reason: 'forbidden' }),
      );
    return undefined;
  }
  return file;
}
