import {
  ConnectorError,
  type CredentialStore,
  logCredentialEvent,
  needsOAuth2Reconnect,
  OAuth2Credential,
  type OAuth2Provider,
  type OAuth2TokenSource,
  oauth2TokenStale,
  RECONNECT_CODE,
  refreshOAuth2Tokens,
} from '../../connectors/index.ts';
import type { Sql } from '../../db/index.ts';
import { describeError, errorCodeOf, logger } from '../../lib/index.ts';
import { markNeedsReconnect } from './credential-events.ts';
import {
  type CredentialRefreshLabels,
  type CredentialRefreshOutcome,
  countCredentialRefresh,
} from './credential-refresh-counts.ts';

const REFRESH_TIMEOUT_MS = 30_000;

/** The step failure of an oauth2 credential only connecting again can mend. */
export function reconnectError(name: string, why: string): ConnectorError {
  return new ConnectorError({
    code: RECONNECT_CODE,
    message: `The credential "${name}" must be connected again: ${why}`,
    retryable: false,
    hint: `Run \`vmesh credentials connect ${name}\` and open the link it prints.`,
    details: { credential: name },
  });
}

/**
 * Renews oauth2 access tokens with their refresh tokens, one credential at a time across every worker (the
 * store's advisory lock); a rotated refresh token is stored with the new access token in the same write. A refused
 * refresh marks the credential needs_reconnect. A credential connected with a provider preset (`provider`) is
 * renewed with that preset's token-endpoint rules, found in `providers`. Each refresh asked of the provider (not
 * one another worker already made) is counted by outcome for GET /metrics.
 */
export function createOAuth2Tokens(options: {
  sql: Sql;
  store: CredentialStore;
  fetch: typeof fetch;
  providers?: readonly OAuth2Provider[];
}): {
  for(name: string): OAuth2TokenSource;
} {
  const { store } = options;
  const providers = new Map((options.providers ?? []).map((provider) => [provider.id, provider]));
  // A lost count must not fail the step whose token was (or was not) renewed.
  const count = (labels: CredentialRefreshLabels, outcome: CredentialRefreshOutcome) =>
    countCredentialRefresh(options.sql, labels, outcome).catch(() => undefined);
  const refresh = async (name: string, seen: string): Promise<{ accessToken: string }> => {
    let labels: CredentialRefreshLabels = { type: 'unknown', provider: 'unknown' };
    let askedProvider = false;
    try {
      const fresh = await store.updateLocked(name, async (current) => {
        const parsed = OAuth2Credential.safeParse(current.secret);
        labels = {
          type: current.type,
          provider: parsed.success ? (parsed.data.provider ?? 'custom') : 'unknown',
        };
        if (current.type !== 'oauth2' || !parsed.success)
          throw reconnectError(name, 'it is not a connected oauth2 credential.');
        const credential = parsed.data;
        const now = new Date();
        // Another worker renewed it while this one waited for the lock: use its token.
        if (credential.accessToken !== seen && !oauth2TokenStale(credential, now))
          return { result: { accessToken: credential.accessToken } };
        askedProvider = true;
        const renewed = await refreshOAuth2Tokens(
          credential,
          { fetch: options.fetch, signal: AbortSignal.timeout(REFRESH_TIMEOUT_MS), now },
          credential.provider ? providers.get(credential.provider) : undefined,
        );
        return { result: { accessToken: renewed.accessToken }, secret: renewed };
      });
      if (askedProvider) {
        await count(labels, 'renewed');
        logCredentialEvent(logger, 'refreshed', name, { type: 'oauth2' });
      }
      return fresh;
    } catch (error) {
      await count(labels, needsOAuth2Reconnect(error) ? 'needs_reconnect' : 'failed');
      logCredentialEvent(logger, 'refresh_failed', name, { type: 'oauth2', errorCode: errorCodeOf(error) });
      if (!needsOAuth2Reconnect(error)) throw error;
      const why = error.details?.credential === name ? error.message : describeError(error);
      await markNeedsReconnect(options.sql, name, why);
      throw error.details?.credential === name ? error : reconnectError(name, why);
    }
  };
  return { for: (name) => ({ refresh: (seen) => refresh(name, seen) }) };
}
