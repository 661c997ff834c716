import { z } from 'zod';
import { registerSecret, ValidationError } from '../../../lib/index.ts';
import type { OAuth2Config } from './oauth2.ts';
import type { OAuth2Provider } from './oauth2-provider.ts';

/** The installation's app at one provider, from VMESH_OAUTH_<ID>_*: everything a connect link needs. */
export type OAuth2App = OAuth2Config & { provider: string; scopes: string[] };

const ENV_PREFIX = 'VMESH_OAUTH_';
const SUFFIXES = ['CLIENT_ID', 'CLIENT_SECRET', 'AUTHORIZE_URL', 'TOKEN_URL'] as const;
type Suffix = (typeof SUFFIXES)[number];

/** `VMESH_OAUTH_GOOGLE_CLIENT_ID` for (google, CLIENT_ID). */
export function oauth2EnvName(providerId: string, suffix: Suffix): string {
  return `${ENV_PREFIX}${providerId.toUpperCase().replaceAll('-', '_')}_${suffix}`;
}

const HttpUrl = z.url({ protocol: /^https?$/ });
const AppEnv = z.object({
  CLIENT_ID: z.string().trim().min(1).optional(),
  CLIENT_SECRET: z.string().trim().min(1).optional(),
  AUTHORIZE_URL: HttpUrl.optional(),
  TOKEN_URL: HttpUrl.optional(),
});

/**
 * The apps configured for `providers` in `env`. A provider with neither a client id nor a secret is simply not
 * configured; one with only one of them, a URL that is not http(s), or a VMESH_OAUTH_* variable naming no
 * provider is a configuration error (thrown, naming the variables). `AUTHORIZE_URL`/`TOKEN_URL` replace the
 * preset's endpoints (a single Microsoft tenant, GitHub Enterprise Server, a test server).
 */
export function parseOAuth2Apps(
  env: NodeJS.ProcessEnv,
  providers: readonly OAuth2Provider[],
): ReadonlyMap<string, OAuth2App> {
  const apps = new Map<string, OAuth2App>();
  const problems: string[] = [];
  const known = new Set<string>();
  for (const provider of providers) {
    const values = Object.fromEntries(
      SUFFIXES.map((suffix) => {
        const name = oauth2EnvName(provider.id, suffix);
        known.add(name);
        return [suffix, env[name] === '' ? undefined : env[name]];
      }),
    );
    const parsed = AppEnv.safeParse(values);
    if (!parsed.success) {
      for (const issue of parsed.error.issues)
        problems.push(`${oauth2EnvName(provider.id, issue.path[0] as Suffix)}: ${issue.message}`);
      continue;
    }
    const { CLIENT_ID: clientId, CLIENT_SECRET: clientSecret } = parsed.data;
    if (!clientId && !clientSecret) continue;
    if (!clientId || !clientSecret) {
      const missing = oauth2EnvName(provider.id, clientId ? 'CLIENT_SECRET' : 'CLIENT_ID');
      problems.push(`${missing} is missing (the ${provider.title} app needs its client id and secret)`);
      continue;
    }
    registerSecret(clientSecret);
    apps.set(provider.id, {
      provider: provider.id,
      authorizeUrl: parsed.data.AUTHORIZE_URL ?? provider.authorizeUrl,
      tokenUrl: parsed.data.TOKEN_URL ?? provider.tokenUrl,
      clientId,
      clientSecret,
      scopes: [...provider.scopes],
    });
  }
  for (const name of Object.keys(env)) {
    if (
      name.startsWith(ENV_PREFIX) &&
      SUFFIXES.some((suffix) => name.endsWith(`_${suffix}`)) &&
      !known.has(name)
    )
      problems.push(`${name} names no OAuth provider (known: ${providers.map((p) => p.id).join(', ')})`);
  }
  if (problems.length > 0)
    throw new ValidationError({
      code: 'E_CONFIG',
      message: `Invalid OAuth app configuration: ${problems.join('; ')}.`,
      hint: 'Set both VMESH_OAUTH_<PROVIDER>_CLIENT_ID and VMESH_OAUTH_<PROVIDER>_CLIENT_SECRET, or neither.',
    });
  return apps;
}

/** The error for a provider whose app this installation has not configured. */
export function oauth2AppMissing(provider: OAuth2Provider, redirectUri: string): ValidationError {
  return new ValidationError({
    code: 'E_CREDENTIAL',
    message: `No ${provider.title} OAuth app is configured here: set ${oauth2EnvName(provider.id, 'CLIENT_ID')} and ${oauth2EnvName(provider.id, 'CLIENT_SECRET')} (for the server and this command), or give --client-id and --client-secret.`,
    hint: `Register an app at ${provider.docsUrl} with the redirect URL ${redirectUri}.`,
  });
}
