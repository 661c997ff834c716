import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportPKCS8, generateKeyPair, jwtVerify } from 'jose';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../lib/logger.ts';
import { clearTokenCache, oauth2ClientCredentialsStyle } from '../sdk/auth/index.ts';
import {
  type ClientCredentialsServer,
  startClientCredentialsServer,
} from '../sdk/auth/testing/client-credentials-server.ts';
import type { ConnectorEnvironment } from '../sdk/define.ts';
import { createSafeFetch } from '../sdk/safe-fetch.ts';
import { runAction, runActionError } from '../testing/run-action.ts';
import { httpConnector } from './connector.ts';

// Each auth style through http.request's real entry (invokeAction, the guarded fetch) against a local fake that
// checks what the vendor checks: the header, the Basic pair, the query key; a token endpoint that verifies a
// service-account JWT with the key pair's public key (as Google does) and answers Google's token response; and a
// real OAuth2 server (panva's oidc-provider) for the client credentials grant, whose tokens the API introspects.

type Seen = { url: string; headers: IncomingMessage['headers']; body: string };
let seen: Seen[] = [];
let api: Server;
let base = '';
/** Whether the API accepts a request (else 401); set per test. */
let accepts: (request: Seen) => boolean | Promise<boolean> = () => true;

let oauth: ClientCredentialsServer | undefined;
let issuer = '';
const clientId = 'vmesh-machine';
const clientSecret = 'machine-secret-0123456789abcdef';

const google = { email: 'robot@vmesh-test.iam.gserviceaccount.com', privateKey: '', issued: [] as string[] };
let googlePublicKey: CryptoKey;

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** Google's token endpoint: a JWT bearer grant whose assertion the service account's key signed. */
async function googleToken(body: string): Promise<{ status: number; json: unknown }> {
  const form = new URLSearchParams(body);
  if (form.get('grant_type') !== 'urn:ietf:params:oauth:grant-type:jwt-bearer') {
    return { status: 400, json: { error: 'unsupported_grant_type' } };
  }
  try {
    const { payload } = await jwtVerify(form.get('assertion') ?? '', googlePublicKey, {
      algorithms: ['RS256'],
      issuer: google.email,
      audience: `${base}/google/token`,
      maxTokenAge: 3600,
    });
    if (payload.scope !== 'https://www.googleapis.com/auth/spreadsheets') throw new Error('scope');
    if ((payload.exp ?? 0) - (payload.iat ?? 0) > 3600) throw new Error('lifetime');
  } catch {
    return { status: 400, json: { error: 'invalid_grant', error_description: 'Invalid JWT Signature.' } };
  }
  const token = `ya29.test-${Math.random().toString(36).slice(2)}-access`;
  google.issued.push(token);
  return { status: 200, json: { access_token: token, expires_in: 3599, token_type: 'Bearer' } };
}

async function introspect(token: string): Promise<{ active: boolean; client_id?: string; scope?: string }> {
  const response = await fetch(`${issuer}/token/introspection`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}`,
    },
    body: new URLSearchParams({ token }).toString(),
  });
  return (await response.json()) as { active: boolean; client_id?: string; scope?: string };
}

beforeAll(async () => {
  const pair = await generateKeyPair('RS256', { extractable: true });
  googlePublicKey = pair.publicKey;
  google.privateKey = await exportPKCS8(pair.privateKey);

  api = createServer((request, response) => {
    void (async () => {
      const entry: Seen = { url: request.url ?? '', headers: request.headers, body: await readBody(request) };
      if (entry.url === '/google/token') {
        const { status, json } = await googleToken(entry.body);
        response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(json));
        return;
      }
      seen.push(entry);
      const ok = await accepts(entry);
      response
        .writeHead(ok ? 200 : 401, { 'content-type': 'application/json' })
        .end(JSON.stringify(ok ? { ok: true } : { error: 'unauthorized' }));
    })();
  });
  base = await listen(api);

  oauth = await startClientCredentialsServer({ clientId, clientSecret, scope: 'api:read' });
  issuer = oauth.issuer;
});
afterAll(async () => {
  await new Promise((resolve) => api.close(resolve));
  await oauth?.close();
});
beforeEach(() => {
  seen = [];
  accepts = () => true;
  clearTokenCache();
});

const env: ConnectorEnvironment = {
  baseUrls: {},
  fetch: createSafeFetch({ allowHosts: ['127.0.0.1'] }),
  logger: createLogger({ level: 'silent' }),
};

const call = (credentialType: string, credential: unknown, input: Record<string, unknown> = {}) =>
  runAction(
    httpConnector,
    'request',
    { url: `${base}/v1/items`, ...input },
    { env, credentialType, credential },
  );

const last = (): Seen => {
  const hit = seen.at(-1);
  if (!hit) throw new Error('the API got no request');
  return hit;
};

describe('auth styles through http.request', () => {
  it('api-key-header, bearer and basic send what the vendor checks (and a wrong one gets 401)', async () => {
    accepts = (request) => request.headers['x-api-key'] === 'key-0123456789';
    await expect(
      call('api-key-header', { name: 'X-Api-Key', value: 'key-0123456789' }),
    ).resolves.toMatchObject({
      status: 200,
    });
    expect(
      await runActionError(
        httpConnector,
        'request',
        { url: `${base}/v1/items` },
        {
          env,
          credentialType: 'api-key-header',
          credential: { name: 'X-Api-Key', value: 'wrong-key-0123' },
        },
      ),
    ).toMatchObject({ code: 'E_AUTH' });

    accepts = (request) => request.headers.authorization === 'Bearer tok-0123456789';
    await expect(call('bearer', { token: 'tok-0123456789' })).resolves.toMatchObject({ status: 200 });

    accepts = (request) => {
      const [scheme, value] = String(request.headers.authorization).split(' ');
      return scheme === 'Basic' && Buffer.from(value ?? '', 'base64').toString() === 'ada:lovelace-pw';
    };
    await expect(call('basic', { username: 'ada', password: 'lovelace-pw' })).resolves.toMatchObject({
      status: 200,
    });
  });

  it('api-key-query adds the key to the query at send time, next to the step’s own parameters', async () => {
    accepts = (request) => new URL(request.url, base).searchParams.get('api_key') === 'query-key-0123456789';
    await call('api-key-query', { name: 'api_key', value: 'query-key-0123456789' }, { query: { page: 2 } });
    expect(new URL(last().url, base).searchParams.getAll('page')).toEqual(['2']);
    expect(last().headers.authorization).toBeUndefined();
  });

  it('the existing http type keeps working, mapped to the same styles', async () => {
    accepts = (request) => request.headers['x-api-key'] === 'legacy-key-0123';
    await expect(
      call('http', { scheme: 'header', name: 'X-Api-Key', value: 'legacy-key-0123' }),
    ).resolves.toMatchObject({ status: 200 });
  });

  it('a credential is checked with its own type’s schema, and a type http.request does not take is refused', async () => {
    expect(
      await runActionError(
        httpConnector,
        'request',
        { url: `${base}/v1/items` },
        {
          env,
          credentialType: 'aws-sigv4',
          credential: { accessKeyId: 'AKID', secretAccessKey: 'x', region: 'Europe!', service: 's3' },
        },
      ),
    ).toMatchObject({ code: 'E_CREDENTIAL', message: expect.stringContaining('"aws-sigv4"') });
    expect(
      await runActionError(
        httpConnector,
        'request',
        { url: `${base}/v1/items` },
        {
          env,
          credentialType: 'slack',
          credential: { token: 'xoxb-1' },
        },
      ),
    ).toMatchObject({ code: 'E_CREDENTIAL' });
    expect(seen).toHaveLength(0);
  });

  it('aws-sigv4 signs the request as sent (body included)', async () => {
    await call(
      'aws-sigv4',
      {
        accessKeyId: 'AKIDEXAMPLE',
        secretAccessKey: 'secret-key-0123456789',
        region: 'eu-west-1',
        service: 'execute-api',
      },
      { method: 'POST', body: { hello: 'world' } },
    );
    const { headers } = last();
    expect(headers.authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/eu-west-1\/execute-api\/aws4_request, SignedHeaders=[a-z0-9;-]*content-type;host;idempotency-key;x-amz-date, Signature=[0-9a-f]{64}$/,
    );
    expect(JSON.stringify(last())).not.toContain('secret-key-0123456789');
  });

  it('google-service-account: a JWT the token endpoint verifies, then its access token as Bearer (fetched once)', async () => {
    const credential = {
      type: 'service_account',
      project_id: 'vmesh-test',
      private_key_id: 'key-1',
      private_key: google.privateKey,
      client_email: google.email,
      client_id: '1234567890',
      token_uri: `${base}/google/token`,
      scopes: ['https://www.googleapis.com/auth/spreadsheets'],
    };
    accepts = (request) =>
      google.issued.includes(String(request.headers.authorization).replace(/^Bearer /, ''));
    await expect(call('google-service-account', credential)).resolves.toMatchObject({ status: 200 });
    await expect(call('google-service-account', credential)).resolves.toMatchObject({ status: 200 });
    expect(google.issued).toHaveLength(1);

    // Another key than the account's: the endpoint refuses the assertion, and the step says why.
    const other = await generateKeyPair('RS256', { extractable: true });
    const error = await runActionError(
      httpConnector,
      'request',
      { url: `${base}/v1/items` },
      {
        env,
        credentialType: 'google-service-account',
        credential: { ...credential, private_key: await exportPKCS8(other.privateKey) },
      },
    );
    expect(error).toMatchObject({ code: 'E_AUTH', message: expect.stringContaining('invalid_grant') });
  });

  it('oauth2-client-credentials: a token from a real OAuth2 server, which the API introspects as active', async () => {
    const credential = { tokenUrl: `${issuer}/token`, clientId, clientSecret, scopes: ['api:read'] };
    accepts = async (request) => {
      const token = String(request.headers.authorization).replace(/^Bearer /, '');
      const info = await introspect(token);
      return info.active && info.client_id === clientId && info.scope === 'api:read';
    };
    await expect(call('oauth2-client-credentials', credential)).resolves.toMatchObject({ status: 200 });
    await expect(call('oauth2-client-credentials', credential)).resolves.toMatchObject({ status: 200 });
    expect(new Set(seen.map((request) => request.headers.authorization)).size).toBe(1);

    // The style's own test: getting a token is the check, with no API call.
    const before = seen.length;
    const ctx = { fetch: env.fetch, signal: new AbortController().signal, now: new Date() };
    clearTokenCache();
    await expect(
      oauth2ClientCredentialsStyle.test?.(oauth2ClientCredentialsStyle.schema.parse(credential), ctx),
    ).resolves.toBeUndefined();
    await expect(
      oauth2ClientCredentialsStyle.test?.(
        oauth2ClientCredentialsStyle.schema.parse({ ...credential, clientSecret: 'wrong-secret-0123' }),
        ctx,
      ),
    ).rejects.toMatchObject({ code: 'E_AUTH' });
    expect(seen.length).toBe(before);

    const error = await runActionError(
      httpConnector,
      'request',
      { url: `${base}/v1/items` },
      {
        env,
        credentialType: 'oauth2-client-credentials',
        credential: { ...credential, clientSecret: 'not-the-secret-0123' },
      },
    );
    expect(error).toMatchObject({ code: 'E_AUTH', message: expect.stringContaining('invalid_client') });
  });
});
