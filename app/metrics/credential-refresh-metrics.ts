import { Counter, type Registry } from 'prom-client';
import type { Sql } from '../../db/index.ts';
import { feedCounterFromTotals } from './durable-totals.ts';

/** oauth2 token refreshes of every process, from the totals each one adds to (credential_refresh_counts). */
export function registerCredentialRefreshMetrics(registry: Registry, sql: Sql): { catchUp(): Promise<void> } {
  const refreshes = new Counter({
    name: 'vmesh_credential_refreshes_total',
    help: 'Access-token refreshes asked of a provider, by credential type, provider preset (custom: own URLs) and outcome: renewed, needs_reconnect (the provider refused the grant), failed (any other error).',
    labelNames: ['type', 'provider', 'outcome'],
    registers: [registry],
  });
  return feedCounterFromTotals(refreshes, async () => {
    const rows = await sql`select credential_type, provider, outcome, refreshes::float8 as refreshes
      from credential_refresh_counts`;
    return rows.map((row) => ({
      labels: {
        type: String(row.credentialType),
        provider: String(row.provider),
        outcome: String(row.outcome),
      },
      total: Number(row.refreshes),
    }));
  });
}
