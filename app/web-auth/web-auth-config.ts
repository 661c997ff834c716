import { z } from 'zod';
import { isLoopbackHost } from '../config.ts';

const UNITS: Readonly<Record<string, number>> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `90s`, `15m`, `12h`, `7d` → milliseconds; undefined for anything else. */
export function parseDuration(text: string): number | undefined {
  const match = /^(\d{1,6})([smhd])$/.exec(text.trim());
  if (!match?.[1] || !match[2]) return undefined;
  const ms = Number(match[1]) * (UNITS[match[2]] ?? 0);
  return ms > 0 ? ms : undefined;
}

const Duration = (name: string, fallback: string) =>
  z
    .string()
    .default(fallback)
    .transform((text, context) => {
      const ms = parseDuration(text);
      if (ms === undefined) {
        context.addIssue({ code: 'custom', message: `${name} is a duration such as 30m, 12h or 7d` });
        return z.NEVER;
      }
      return ms;
    });

const list = (text: string | undefined) =>
  (text ?? '')
    .split(/[\s,]+/)
    .map((item) => item.trim())
    .filter(Boolean);

const WebAuthEnv = z.object({
  VMESH_SESSION_IDLE_TIMEOUT: Duration('VMESH_SESSION_IDLE_TIMEOUT', '12h'),
  VMESH_SESSION_MAX_AGE: Duration('VMESH_SESSION_MAX_AGE', '7d'),
  VMESH_OIDC_ISSUER: z.url().optional(),
  VMESH_OIDC_CLIENT_ID: z.string().min(1).optional(),
  VMESH_OIDC_CLIENT_SECRET: z.string().min(1).optional(),
  VMESH_OIDC_SCOPES: z.string().optional(),
  VMESH_OIDC_ALLOWED_DOMAINS: z.string().optional(),
  VMESH_OIDC_DEFAULT_ROLE: z
    .enum(['viewer', 'operator', 'builder'], {
      message:
        'VMESH_OIDC_DEFAULT_ROLE is viewer, operator or builder (promote people later with `vmesh users role`)',
    })
    .optional(),
});

export type OidcConfig = {
  issuer: URL;
  clientId: string;
  clientSecret: string;
  scopes: string;
  /** Lower-case email domains; empty: any. */
  allowedDomains: readonly string[];
  /** Role given to a person the workspace does not know yet; undefined: strangers are refused. */
  defaultRole: 'viewer' | 'operator' | 'builder' | undefined;
  /** `<public URL>/auth/oidc/callback`, registered at the provider. */
  redirectUri: string;
  /** Plain http is accepted only for an issuer on a loopback address (development, tests). */
  allowInsecure: boolean;
};

export type WebAuthConfig = {
  publicUrl: URL;
  /** Cookies get `Secure` when the public URL is https. */
  secureCookies: boolean;
  idleTimeoutMs: number;
  maxAgeMs: number;
  oidc: OidcConfig | undefined;
};

/** Reads VMESH_SESSION_* and VMESH_OIDC_*; OIDC is on when its issuer, client id and secret are all set. */
export function parseWebAuthConfig(env: NodeJS.ProcessEnv, publicUrl: string): WebAuthConfig {
  const parsed = WebAuthEnv.safeParse(env);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ');
    throw new Error(`Invalid sign-in configuration: ${issues}`);
  }
  const data = parsed.data;
  const base = new URL(publicUrl);
  if (data.VMESH_SESSION_IDLE_TIMEOUT > data.VMESH_SESSION_MAX_AGE) {
    throw new Error(
      'Invalid sign-in configuration: VMESH_SESSION_IDLE_TIMEOUT is longer than VMESH_SESSION_MAX_AGE.',
    );
  }
  const oidcParts = [data.VMESH_OIDC_ISSUER, data.VMESH_OIDC_CLIENT_ID, data.VMESH_OIDC_CLIENT_SECRET];
  let oidc: OidcConfig | undefined;
  if (oidcParts.some(Boolean)) {
    if (!data.VMESH_OIDC_ISSUER || !data.VMESH_OIDC_CLIENT_ID || !data.VMESH_OIDC_CLIENT_SECRET) {
      throw new Error(
        'Invalid sign-in configuration: OIDC needs VMESH_OIDC_ISSUER, VMESH_OIDC_CLIENT_ID and VMESH_OIDC_CLIENT_SECRET together.',
      );
    }
    const issuer = new URL(data.VMESH_OIDC_ISSUER);
    const allowInsecure =
      issuer.protocol === 'http:' && isLoopbackHost(issuer.hostname.replace(/^\[|\]$/g, ''));
    if (issuer.protocol !== 'https:' && !allowInsecure) {
      throw new Error(
        `Invalid sign-in configuration: VMESH_OIDC_ISSUER must be an https URL (plain http only on a loopback address), not ${issuer.protocol}.`,
      );
    }
    oidc = {
      issuer,
      clientId: data.VMESH_OIDC_CLIENT_ID,
      clientSecret: data.VMESH_OIDC_CLIENT_SECRET,
      scopes: list(data.VMESH_OIDC_SCOPES ?? 'openid email profile').join(' '),
      allowedDomains: list(data.VMESH_OIDC_ALLOWED_DOMAINS).map((domain) => domain.toLowerCase()),
      defaultRole: data.VMESH_OIDC_DEFAULT_ROLE,
      redirectUri: new URL('/auth/oidc/callback', base).toString(),
      allowInsecure,
    };
    if (!oidc.scopes.split(' ').includes('openid')) oidc.scopes = `openid ${oidc.scopes}`;
  }
  return {
    publicUrl: base,
    secureCookies: base.protocol === 'https:',
    idleTimeoutMs: data.VMESH_SESSION_IDLE_TIMEOUT,
    maxAgeMs: data.VMESH_SESSION_MAX_AGE,
    oidc,
  };
}
