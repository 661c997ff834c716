import type { WorkflowDocument, WorkflowNode } from '../runtime/index.ts';
import type { CatalogPort } from './tool-context.ts';

export type MissingCredential = {
  /** The name the document binds (or should bind), e.g. "slack". */
  name: string;
  /** The credential type to store, e.g. "slack". */
  type: string;
  /** Which nodes need it (`trigger` for the workflow's trigger). */
  nodes: string[];
  /** Exactly how to add it. */
  command: string;
};

export function allNodes(nodes: readonly WorkflowNode[]): WorkflowNode[] {
  return nodes.flatMap((node) => [node, ...(node.do ? allNodes(node.do.nodes) : [])]);
}

/**
 * The credentials a document needs that are not stored (by name and type). Never a placeholder: each entry
 * says which name, which type and the command that adds it.
 */
export function findMissingCredentials(
  document: WorkflowDocument,
  catalog: CatalogPort,
  stored: readonly { name: string; type: string }[],
): MissingCredential[] {
  const missing = new Map<string, MissingCredential>();
  const need = (user: string, name: string, type: string, alternatives: readonly string[] = []) => {
    const have = stored.find((credential) => credential.name === name);
    if (have && (have.type === type || alternatives.includes(have.type))) return;
    const entry = missing.get(name) ?? {
      name,
      type,
      nodes: [],
      command: `vmesh credentials set ${name} --type ${type}`,
    };
    entry.nodes.push(user);
    missing.set(name, entry);
  };
  const triggerType = catalog
    .triggers()
    .find((entry) => entry.type === document.trigger.type)?.credentialType;
  if (triggerType && document.trigger.credential) need('trigger', document.trigger.credential, triggerType);
  for (const node of allNodes(document.nodes)) {
    const action = catalog.lookupAction(node.uses);
    const type = action?.credentialType;
    // A node that binds no credential gets the validator's W_MISSING_CREDENTIAL warning instead (some are optional).
    if (!type || !node.credential) continue;
    need(node.id, node.credential, type, action.credentialAlternatives);
  }
  return [...missing.values()];
}
