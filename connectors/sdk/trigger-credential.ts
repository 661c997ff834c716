import type { ConnectorDefinition, CredentialDefinition, TriggerDefinition } from './define.ts';

/** The credential a trigger reads: its own when it declares one, else its connector's. */
export function triggerCredentialOf(
  connector: Pick<ConnectorDefinition, 'credential'>,
  trigger: Pick<TriggerDefinition, 'credential'>,
): CredentialDefinition | undefined {
  return trigger.credential ?? connector.credential;
}
