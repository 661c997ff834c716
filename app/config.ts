import { z } from 'zod';
import {
  builtinConnectors,
  type OAuth2App,
  oauth2ProvidersOf,
  parseOAuth2Apps,
} from '../connectors/index.ts';
import { describeError } from '../lib/index.ts';

const ServerEnv = z.object({
  HOST: z.string().min(1).default('127.0.0.1'),
  PORT: z.coerce.number().int().min(0).max(65_535).default(3000),
  VMESH_API_TOKEN: z.string().min(16, 'VMESH_API_TOKEN must be at least 16 characters').optional(),
  VMESH_PUBLIC_URL: z.url().optional(),
});

export type ServerConfig = {
  host: string;
  port: number;
  apiToken: string | undefined;
  /** The URL people and webhooks reach this server at (hook URLs are built from it). */
  publicUrl: string;
  /** The installation's OAuth apps by provider (VMESH_OAUTH_<PROVIDER>_CLIENT_ID / _CLIENT_SECRET). */
  oauthApps: ReadonlyMap<string, OAuth2App>;
};

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '::1']);

export function isLoopbackHost(host: string): boolean {
  return LOOPBACK_HOSTS.has(host) || host.startsWith('127.');
}

export function parseServerConfig(env: NodeJS.ProcessEnv = process.env): ServerConfig {
  const parsed = ServerEnv.safeParse(env);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ');
    throw new Error(`Invalid server configuration: ${issues}`);
  }
  const { HOST: host, PORT: port, VMESH_API_TOKEN: apiToken } = parsed.data;
  if (!apiToken && !isLoopbackHost(host)) {
    throw new Error(
      `Refusing to listen on ${host} without VMESH_API_TOKEN: set a token (openssl rand -hex 32) or use HOST=127.0.0.1.`,
    );
  }
  const publicUrl = parsed.data.VMESH_PUBLIC_URL;
  if (!apiToken && publicUrl && !isLoopbackHost(new URL(publicUrl).hostname.replace(/^\[(.*)\]$/, '$1'))) {
    throw new Error(
      `Refusing to start without VMESH_API_TOKEN while VMESH_PUBLIC_URL is ${new URL(publicUrl).origin}: a reverse proxy ` +
        'in front of a loopback server lets anyone who reaches that URL in. Set VMESH_API_TOKEN (openssl rand -hex 32), ' +
        'or unset VMESH_PUBLIC_URL for a server only this machine uses.',
    );
  }
  let oauthApps: ReadonlyMap<string, OAuth2App>;
  try {
    oauthApps = parseOAuth2Apps(env, oauth2ProvidersOf(builtinConnectors));
  } catch (error) {
    throw new Error(`Invalid server configuration: ${describeError(error)}`);
  }
  const shownHost = host.includes(':') ? `[${host}]` : host;
  return { host, port, apiToken, publicUrl: publicUrl ?? `http://${shownHost}:${port}`, oauthApps };
}
