import type { Sql } from '../../db/index.ts';

/** What became of one refresh: a new access token, a refusal only reconnecting mends, or any other failure. */
export type CredentialRefreshOutcome = 'renewed' | 'needs_reconnect' | 'failed';

export type CredentialRefreshLabels = {
  /** The stored credential's type (`oauth2`), `unknown` when it could not be read. */
  type: string;
  /** The provider preset it was connected with, `custom` for one connected with its own URLs. */
  provider: string;
};

/** Adds one refresh to the durable per-label totals every process shares (read by GET /metrics). */
export async function countCredentialRefresh(
  sql: Sql,
  labels: CredentialRefreshLabels,
  outcome: CredentialRefreshOutcome,
): Promise<void> {
  await sql`
    insert into credential_refresh_counts (credential_type, provider, outcome, refreshes)
    values (${labels.type}, ${labels.provider}, ${outcome}, 1)
    on conflict (credential_type, provider, outcome)
    do update set refreshes = credential_refresh_counts.refreshes + 1, updated_at = now()`;
}
