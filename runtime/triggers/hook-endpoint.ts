import type { ConnectorDefinition } from '../../connectors/index.ts';
import { findWebhookTrigger } from './connector-triggers.ts';
import { hookReceiverFor } from './hook-receiver.ts';

/**
 * Where a workflow with a webhook trigger takes deliveries: its hook URL, and how the sender proves the hook
 * secret (`path`: the secret is the URL's last segment, verify "token"; `signature`: the sender signs with it).
 * Undefined for a workflow whose trigger is not a webhook.
 */
export type HookEndpoint = {
  url: string;
  /** The trigger's type: `webhook`, or a connector's webhook trigger such as `github.issueOpened`. */
  trigger: string;
  secretIn: 'path' | 'signature';
  /** The header the core webhook trigger also takes the secret in (its default `vmesh` scheme). */
  header?: string | undefined;
};

export function hookEndpointOf(
  connectors: readonly ConnectorDefinition[],
  workflowId: string,
  trigger: { type: string; with?: unknown },
  publicUrl: string,
): HookEndpoint | undefined {
  const isConnectorHook = findWebhookTrigger(connectors, trigger.type) !== undefined;
  if (trigger.type !== 'webhook' && !isConnectorHook) return undefined;
  const url = `${publicUrl.replace(/\/$/, '')}/hooks/${encodeURIComponent(workflowId)}`;
  if (hookReceiverFor(connectors, trigger).takesPathToken)
    return { url, trigger: trigger.type, secretIn: 'path' };
  const scheme = (trigger.with as { verify?: unknown } | undefined)?.verify;
  const coreScheme = !isConnectorHook && (scheme === undefined || scheme === 'vmesh');
  return {
    url,
    trigger: trigger.type,
    secretIn: 'signature',
    ...(coreScheme ? { header: 'x-vmesh-secret' } : {}),
  };
}
