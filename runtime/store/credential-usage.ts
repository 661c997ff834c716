import { z } from 'zod';
import type { Sql, TransactionSql } from '../../db/index.ts';

type Db = Sql | TransactionSql;

/**
 * A workflow whose current version names a credential (in a node, a nested `do` node, a core.agent tool, or its
 * trigger).
 */
export type CredentialUser = {
  id: string;
  name: string;
  active: boolean;
  ownerId: string | null;
  scope: 'private' | 'workspace';
};

type NodeRefs = {
  uses?: string | undefined;
  credential?: string | undefined;
  with?: { tools?: { credential?: string | undefined; mcp?: string | undefined }[] | undefined } | undefined;
  do?: { nodes: NodeRefs[] } | undefined;
};
/**
 * core.agent's tools name credentials like nodes (an MCP tool as `mcp`); another node's `with.tools` is whatever
 * its action says.
 */
const ToolRefs = z
  .array(z.object({ credential: z.string().optional(), mcp: z.string().optional() }))
  .optional()
  .catch(undefined);
const NodeRefs: z.ZodType<NodeRefs> = z.lazy(() =>
  z.object({
    uses: z.string().optional(),
    credential: z.string().optional(),
    with: z.object({ tools: ToolRefs }).optional().catch(undefined),
    do: z.object({ nodes: z.array(NodeRefs) }).optional(),
  }),
);
/** Only what names credentials: stored documents were validated when stored, this reads no more of them. */
const DocumentRefs = z.object({
  trigger: z.object({ credential: z.string().optional() }).optional(),
  nodes: z.array(NodeRefs).default([]),
});

function namesIn(nodes: readonly NodeRefs[], into: Set<string>): Set<string> {
  for (const node of nodes) {
    if (node.credential) into.add(node.credential);
    if (node.uses === 'core.agent')
      for (const tool of node.with?.tools ?? []) {
        if (tool.credential) into.add(tool.credential);
        if (tool.mcp) into.add(tool.mcp);
      }
    if (node.do) namesIn(node.do.nodes, into);
  }
  return into;
}

/** Every credential name a workflow document refers to. */
export function credentialNamesOf(document: unknown): Set<string> {
  const parsed = DocumentRefs.safeParse(document);
  if (!parsed.success) return new Set();
  const names = namesIn(parsed.data.nodes, new Set());
  if (parsed.data.trigger?.credential) names.add(parsed.data.trigger.credential);
  return names;
}

/**
 * Credential name → the workflows (not deleted) whose current version uses it. Computed from the documents on
 * each call: one read of the current versions that mention a credential at all.
 */
export async function credentialUsers(sql: Db): Promise<Map<string, CredentialUser[]>> {
  const rows = await sql`
    select w.id, w.name, w.active, w.owner_id, w.scope, v.document
    from workflows w join workflow_versions v on v.workflow_id = w.id and v.version = w.current_version
    where w.deleted_at is null and jsonb_path_exists(v.document, 'lax $.**.credential')
    order by w.name, w.id`;
  const users = new Map<string, CredentialUser[]>();
  for (const row of rows) {
    const user: CredentialUser = {
      id: String(row.id),
      name: String(row.name),
      active: row.active === true,
      ownerId: row.ownerId === null ? null : String(row.ownerId),
      scope: row.scope === 'private' ? 'private' : 'workspace',
    };
    for (const name of credentialNamesOf(row.document)) users.set(name, [...(users.get(name) ?? []), user]);
  }
  return users;
}
