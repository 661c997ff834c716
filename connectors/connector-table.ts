import type { ConnectorDefinition } from './sdk/define.ts';

const cell = (text: string) => text.replaceAll('|', '\\|');

function authOf(connector: ConnectorDefinition): string {
  const credential = connector.credential;
  if (!credential) return 'none';
  const types = [credential.type, ...(credential.alternatives ?? []).map((style) => style.type)];
  const oauth = (connector.oauthProviders ?? []).map((provider) => `oauth2 \`${provider.id}\``);
  const listed = [...types.map((type) => `\`${type}\``), ...oauth].join(', ');
  return credential.optional ? `${listed} (optional)` : listed;
}

/** The README's table of built-in connectors (between `<!-- connectors:start -->` and `end`). */
export function connectorTableMarkdown(connectors: readonly ConnectorDefinition[]): string {
  const rows = connectors.map((connector) =>
    [
      `\`${connector.id}\` (${connector.title})`,
      authOf(connector),
      connector.actions.map((action) => `\`${action.key}\``).join(' ') || '—',
      connector.triggers.map((trigger) => `\`${trigger.key}\` (${trigger.kind})`).join(' ') || '—',
    ]
      .map(cell)
      .join(' | '),
  );
  return [
    '| connector | credential types | actions | triggers (kind) |',
    '| --- | --- | --- | --- |',
    ...rows.map((row) => `| ${row} |`),
    '',
  ].join('\n');
}
