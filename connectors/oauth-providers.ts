import { builtinConnectors } from './builtin-connectors.ts';
import { type OAuth2App, oauth2EnvName, parseOAuth2Apps } from './sdk/auth/oauth2-apps.ts';
import type { OAuth2Provider } from './sdk/auth/oauth2-provider.ts';
import type { ConnectorDefinition } from './sdk/define.ts';

/** Every OAuth2 provider preset the connectors declare; a second preset with one id is a bug. */
export function oauth2ProvidersOf(connectors: readonly ConnectorDefinition[]): OAuth2Provider[] {
  const providers = new Map<string, OAuth2Provider>();
  for (const connector of connectors) {
    for (const provider of connector.oauthProviders ?? []) {
      if (providers.has(provider.id))
        throw new Error(
          `Two OAuth2 provider presets have the id "${provider.id}" (connector ${connector.id}).`,
        );
      providers.set(provider.id, provider);
    }
  }
  return [...providers.values()];
}

/**
 * The app this installation configured for `provider` (VMESH_OAUTH_<PROVIDER>_CLIENT_ID / _CLIENT_SECRET, and
 * the optional _AUTHORIZE_URL / _TOKEN_URL): the settings a connect link takes, or undefined when it is not
 * configured or the provider is unknown. Throws for a half-configured app.
 */
export function oauth2AppFor(
  provider: string,
  env: NodeJS.ProcessEnv = process.env,
  connectors: readonly ConnectorDefinition[] = builtinConnectors,
): OAuth2App | undefined {
  return parseOAuth2Apps(env, oauth2ProvidersOf(connectors)).get(provider);
}

const cell = (text: string) => text.replaceAll('|', '\\|');

/** The README's table of built-in OAuth2 providers (between `<!-- oauth-providers:start -->` and `end`). */
export function oauthProviderTableMarkdown(providers: readonly OAuth2Provider[]): string {
  const rows = providers.map((provider) =>
    [
      `\`${provider.id}\` (${provider.title})`,
      '`<VMESH_PUBLIC_URL>/oauth/callback`',
      provider.scopes.length > 0 ? provider.scopes.map((scope) => `\`${scope}\``).join(' ') : 'none',
      `\`${oauth2EnvName(provider.id, 'CLIENT_ID')}\`, \`${oauth2EnvName(provider.id, 'CLIENT_SECRET')}\``,
      `[register the app](${provider.docsUrl})${provider.notes ? `. ${provider.notes}` : ''}`,
    ]
      .map(cell)
      .join(' | '),
  );
  return [
    '| provider | redirect URL to register | default scopes | app settings (env) | where, and notes |',
    '| --- | --- | --- | --- | --- |',
    ...rows.map((row) => `| ${row} |`),
    '',
  ].join('\n');
}
