import type {
  ConnectorDefinition,
  EventTriggerDefinition,
  TriggerDefinition,
  WebhookTriggerDefinition,
} from '../../connectors/index.ts';

/** The connector trigger a `trigger.type` such as "github.issueOpened" names, or undefined (core triggers too). */
export function findConnectorTrigger(
  connectors: readonly ConnectorDefinition[],
  type: string,
): TriggerDefinition | undefined {
  const dot = type.indexOf('.');
  if (dot < 0) return undefined;
  const connector = connectors.find((candidate) => candidate.id === type.slice(0, dot));
  return connector?.triggers.find((trigger) => trigger.key === type.slice(dot + 1));
}

export function findWebhookTrigger(
  connectors: readonly ConnectorDefinition[],
  type: string,
): WebhookTriggerDefinition | undefined {
  const trigger = findConnectorTrigger(connectors, type);
  return trigger?.kind === 'webhook' ? trigger : undefined;
}

export function findEventTrigger(
  connectors: readonly ConnectorDefinition[],
  type: string,
): EventTriggerDefinition | undefined {
  const trigger = findConnectorTrigger(connectors, type);
  return trigger?.kind === 'event' ? trigger : undefined;
}

/**
 * Whether trigger data passes a workflow's `trigger.with` filters. Filters that no longer parse (the connector
 * changed since the workflow was stored) match nothing: a run must not start on filters it cannot read.
 */
export function passesFilters(trigger: TriggerDefinition, filters: unknown, data: unknown): boolean {
  const parsed = trigger.with.safeParse(filters ?? {});
  if (!parsed.success) return false;
  return trigger.matches ? trigger.matches(parsed.data, data) : true;
}
