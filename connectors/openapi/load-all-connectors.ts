import type { Sql } from '../../db/index.ts';
import type { Logger } from '../../lib/index.ts';
import { builtinConnectors } from '../builtin-connectors.ts';
import type { ConnectorDefinition } from '../sdk/define.ts';
import { loadImportedConnectors } from './store.ts';

/**
 * The built-in connectors plus those imported from OpenAPI documents (a stored name that clashes with a
 * built-in id is skipped). Pass the result as `connectors` to createEngineServices / createAgent at start.
 */
export async function loadAllConnectors(sql: Sql, logger?: Logger): Promise<ConnectorDefinition[]> {
  const builtinIds = new Set(builtinConnectors.map((connector) => connector.id));
  const imported = await loadImportedConnectors(sql, logger);
  for (const connector of imported) {
    if (builtinIds.has(connector.id))
      logger?.warn({ connector: connector.id }, 'imported connector shadows a built-in; skipped');
  }
  return [...builtinConnectors, ...imported.filter((connector) => !builtinIds.has(connector.id))];
}
