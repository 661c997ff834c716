import { generateKeyPairSync } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import Provider from 'oidc-provider';

export type ClientCredentialsServer = {
  /** The issuer URL; the token endpoint is `${issuer}/token`, introspection `${issuer}/token/introspection`. */
  issuer: string;
  clientId: string;
  clientSecret: string;
  close(): Promise<void>;
};

/**
 * A real OAuth2 server (panva's oidc-provider) on a free loopback port with one confidential client allowed the
 * client credentials grant for `scope`, and token introspection on.
 */
export async function startClientCredentialsServer(options: {
  clientId: string;
  clientSecret: string;
  scope: string;
}): Promise<ClientCredentialsServer> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: options.clientId,
        client_secret: options.clientSecret,
        grant_types: ['client_credentials'],
        redirect_uris: [],
        response_types: [],
        scope: options.scope,
      },
    ],
    scopes: options.scope.split(' '),
    ttl: { ClientCredentials: 600 },
    jwks: { keys: [{ ...privateKey.export({ format: 'jwk' }), kid: 'k1', alg: 'RS256', use: 'sig' }] },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      introspection: { enabled: true, allowedPolicy: async () => true },
    },
  });
  provider.on('server_error', () => {});
  server.on('request', provider.callback());
  return {
    issuer,
    clientId: options.clientId,
    clientSecret: options.clientSecret,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
