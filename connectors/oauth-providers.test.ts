import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { builtinConnectors } from './builtin-connectors.ts';
import { oauth2AppFor, oauth2ProvidersOf, oauthProviderTableMarkdown } from './oauth-providers.ts';
import { OAuth2ProviderId } from './sdk/auth/oauth2.ts';

const providers = oauth2ProvidersOf(builtinConnectors);

describe('built-in OAuth2 provider presets', () => {
  it("every preset comes with its vendor's connector (google with googlesheets, microsoft with outlook)", () => {
    const owner = (id: string) =>
      builtinConnectors.find((connector) => connector.oauthProviders?.some((provider) => provider.id === id))
        ?.id;
    expect(providers.map((provider) => provider.id).sort()).toEqual(
      [
        'dropbox',
        'github',
        'google',
        'hubspot',
        'linear',
        'microsoft',
        'notion',
        'pipedrive',
        'salesforce',
        'slack',
        'x',
      ].sort(),
    );
    expect(owner('dropbox')).toBe('dropbox');
    expect(owner('microsoft')).toBe('outlook');
    expect([owner('slack'), owner('github'), owner('google'), owner('notion'), owner('salesforce')]).toEqual([
      'slack',
      'github',
      'googlesheets',
      'notion',
      'salesforce',
    ]);
    for (const provider of providers) {
      expect(OAuth2ProviderId.safeParse(provider.id).success, provider.id).toBe(true);
      for (const url of [provider.authorizeUrl, provider.tokenUrl, provider.docsUrl])
        expect(new URL(url).protocol, `${provider.id} ${url}`).toBe('https:');
    }
  });

  it('oauth2AppFor reads the app from VMESH_OAUTH_<PROVIDER>_*; half an app or an unknown provider is an error', () => {
    const env = {
      VMESH_OAUTH_GOOGLE_CLIENT_ID: 'google-client',
      VMESH_OAUTH_GOOGLE_CLIENT_SECRET: 'google-secret-0123',
    };
    expect(oauth2AppFor('google', env)).toMatchObject({
      provider: 'google',
      clientId: 'google-client',
      clientSecret: 'google-secret-0123',
      authorizeUrl: 'https://accounts.google.com/o/oauth2/v2/auth',
      scopes: ['openid', 'email', 'profile'],
    });
    expect(oauth2AppFor('slack', env)).toBeUndefined();
    expect(
      oauth2AppFor('microsoft', {
        VMESH_OAUTH_MICROSOFT_CLIENT_ID: 'ms',
        VMESH_OAUTH_MICROSOFT_CLIENT_SECRET: 'ms-secret',
        VMESH_OAUTH_MICROSOFT_TOKEN_URL: 'https://login.microsoftonline.com/contoso/oauth2/v2.0/token',
      })?.tokenUrl,
    ).toContain('/contoso/');
    expect(() => oauth2AppFor('google', { VMESH_OAUTH_GOOGLE_CLIENT_ID: 'only-id' })).toThrow(
      /VMESH_OAUTH_GOOGLE_CLIENT_SECRET is missing/,
    );
    expect(() => oauth2AppFor('google', { VMESH_OAUTH_GOGLE_CLIENT_ID: 'typo' })).toThrow(
      /VMESH_OAUTH_GOGLE_CLIENT_ID names no OAuth provider/,
    );
    expect(() =>
      oauth2AppFor('google', { ...env, VMESH_OAUTH_GOOGLE_TOKEN_URL: 'ftp://example.com/token' }),
    ).toThrow(/VMESH_OAUTH_GOOGLE_TOKEN_URL/);
  });
});

describe('README OAuth provider table', () => {
  it('is the table the built-in presets generate', () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    const marker = '<!-- oauth-providers:start -->\n';
    const start = readme.indexOf(marker);
    const end = readme.indexOf('<!-- oauth-providers:end -->');
    expect(start).toBeGreaterThan(0);
    expect(end).toBeGreaterThan(start);
    expect(readme.slice(start + marker.length, end)).toBe(oauthProviderTableMarkdown(providers));
  });
});
