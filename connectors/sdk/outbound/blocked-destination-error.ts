import { ConnectorError } from '../connector-error.ts';

export const BLOCKED_DESTINATION_HINT =
  'Requests made on a workflow’s behalf may only reach public addresses. To reach a local or internal service on ' +
  'purpose, add its exact host to VMESH_HTTP_ALLOW_HOSTS (comma-separated, e.g. VMESH_HTTP_ALLOW_HOSTS=127.0.0.1,intranet.local).';

export function blockedDestinationError(input: {
  host: string;
  address?: string;
  reason: string;
}): ConnectorError {
  const where =
    input.address && input.address !== input.host ? `${input.host} (${input.address})` : input.host;
  return new ConnectorError({
    code: 'E_BLOCKED_DESTINATION',
    message: `Outbound request blocked: ${where} is a ${input.reason} destination.`,
    retryable: false,
    hint: BLOCKED_DESTINATION_HINT,
    details: { host: input.host, ...(input.address ? { address: input.address } : {}), reason: input.reason },
  });
}

/** The first ConnectorError in an error's cause chain (fetch and SDKs wrap what a dispatcher throws). */
export function findConnectorError(error: unknown): ConnectorError | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 8 && current; depth++) {
    if (current instanceof ConnectorError) return current;
    current = current instanceof Error ? current.cause : undefined;
  }
  return undefined;
}
