import type { ConnectorDefinition } from '../connectors/index.ts';
import type { Sql } from '../db/index.ts';
import { dispatchEvent } from '../runtime/index.ts';
import type { TriggerEventPort } from './trigger-event-port.ts';

/** The runtime's event-trigger dispatch as the bots' TriggerEventPort. */
export function createRuntimeTriggerPort(
  sql: Sql,
  connectors: readonly ConnectorDefinition[],
): TriggerEventPort {
  return { dispatch: (type, event, options) => dispatchEvent({ sql, connectors }, type, event, options) };
}
