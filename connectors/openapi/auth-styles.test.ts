import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../lib/logger.ts';
import { clearTokenCache } from '../sdk/auth/index.ts';
import type { ConnectorDefinition, ConnectorEnvironment } from '../sdk/define.ts';
import { createSafeFetch } from '../sdk/safe-fetch.ts';
import { runAction, runActionError } from '../testing/run-action.ts';
import { importOpenApi, securitySchemeStyle } from './import-openapi.ts';

// An imported connector takes every auth style: the spec's securitySchemes say which one (and its fields), and
// the operation's request carries it, checked by a local API as the vendor would.

let server: Server;
let base = '';
const tokens: string[] = [];
let connector: ConnectorDefinition;

beforeAll(async () => {
  server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://x');
    const json = (status: number, body: unknown) =>
      response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    if (url.pathname === '/oauth/token') {
      const expected = `Basic ${Buffer.from('acme-client:acme-secret-0123').toString('base64')}`;
      if (request.headers.authorization !== expected) return json(401, { error: 'invalid_client' });
      const token = `acme-at-${Math.random().toString(36).slice(2)}`;
      tokens.push(token);
      return json(200, { access_token: token, token_type: 'Bearer', expires_in: 600 });
    }
    const byKey = url.searchParams.get('api_key') === 'acme-query-key-0123';
    const byToken = tokens.includes(String(request.headers.authorization).replace(/^Bearer /, ''));
    if (!byKey && !byToken) return json(401, { message: 'unauthorized' });
    return json(200, [{ id: 1, name: 'first' }]);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const spec = {
    openapi: '3.0.3',
    info: { title: 'Acme', version: '1.0.0', description: 'The Acme items API, for auth style tests.' },
    servers: [{ url: base }],
    paths: { '/items': { get: { operationId: 'listItems', responses: { '200': { description: 'ok' } } } } },
    components: {
      securitySchemes: {
        queryKey: { type: 'apiKey', in: 'query', name: 'api_key' },
        machine: {
          type: 'oauth2',
          flows: { clientCredentials: { tokenUrl: `${base}/oauth/token`, scopes: { 'items:read': 'read' } } },
        },
      },
    },
  };
  const imported = importOpenApi(spec, { name: 'acme' });
  if (!imported.ok) throw new Error(JSON.stringify(imported.error));
  connector = imported.value.connector;
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

const env: ConnectorEnvironment = {
  baseUrls: {},
  fetch: createSafeFetch({ allowHosts: ['127.0.0.1'] }),
  logger: createLogger({ level: 'silent' }),
};

describe('OpenAPI securitySchemes map to auth styles', () => {
  it('each scheme names its style and fields', () => {
    expect(securitySchemeStyle('k', { type: 'apiKey', in: 'header', name: 'X-Key' })).toContain(
      '--type api-key-header` with {"name":"X-Key","value":"…"}',
    );
    expect(securitySchemeStyle('k', { type: 'apiKey', in: 'query', name: 'key' })).toContain(
      '--type api-key-query',
    );
    expect(securitySchemeStyle('k', { type: 'apiKey', in: 'cookie', name: 'sid' })).toContain(
      '{"name":"Cookie","value":"sid=…"}',
    );
    expect(securitySchemeStyle('b', { type: 'http', scheme: 'Basic' })).toContain('--type basic');
    expect(securitySchemeStyle('b', { type: 'http', scheme: 'bearer' })).toContain('--type bearer');
    expect(
      securitySchemeStyle('o', {
        type: 'oauth2',
        flows: { clientCredentials: { tokenUrl: 'https://a.example/token', scopes: { read: 'r' } } },
      }),
    ).toContain('"tokenUrl":"https://a.example/token","clientId":"…","clientSecret":"…","scopes":["read"]');
    expect(connector.credential?.howToGet).toContain(
      'queryKey: `vmesh credentials set NAME --type api-key-query`',
    );
  });

  it('an api-key-query credential goes in the operation’s query', async () => {
    await expect(
      runAction(
        connector,
        'listItems',
        {},
        {
          env,
          credentialType: 'api-key-query',
          credential: { name: 'api_key', value: 'acme-query-key-0123' },
        },
      ),
    ).resolves.toMatchObject({ status: 200, body: [{ id: 1 }] });
    expect(
      await runActionError(
        connector,
        'listItems',
        {},
        {
          env,
          credentialType: 'api-key-query',
          credential: { name: 'api_key', value: 'wrong-key-012345' },
        },
      ),
    ).toMatchObject({ code: 'E_AUTH' });
  });

  it('an oauth2-client-credentials credential fetches a token from the spec’s tokenUrl', async () => {
    clearTokenCache();
    await expect(
      runAction(
        connector,
        'listItems',
        {},
        {
          env,
          credentialType: 'oauth2-client-credentials',
          credential: {
            tokenUrl: `${base}/oauth/token`,
            clientId: 'acme-client',
            clientSecret: 'acme-secret-0123',
          },
        },
      ),
    ).resolves.toMatchObject({ status: 200 });
    expect(tokens).toHaveLength(1);
  });
});
