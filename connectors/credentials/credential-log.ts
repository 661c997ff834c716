import type { Logger } from '../../lib/index.ts';

export type CredentialLogEvent =
  | 'created'
  | 'updated'
  | 'renamed'
  | 'connected'
  | 'refreshed'
  | 'refresh_failed'
  | 'deleted';

export type CredentialLogDetails = {
  type?: string | undefined;
  by?: string | undefined;
  errorCode?: string | undefined;
  from?: string;
};

/**
 * The server's line for what happened to a credential: its name, its type, who did it, an error code. Never a
 * value, a token, a reason text from the provider or anything else the credential holds.
 */
export function logCredentialEvent(
  logger: Logger | undefined,
  event: CredentialLogEvent,
  name: string,
  details: CredentialLogDetails = {},
): void {
  if (!logger) return;
  const line = { event: `credential.${event}`, credential: name, ...details };
  if (event === 'refresh_failed') logger.warn(line, 'credential refresh failed');
  else logger.info(line, `credential ${event.replace('_', ' ')}`);
}
