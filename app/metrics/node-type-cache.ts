import type { Sql } from '../../db/index.ts';

/** Workflow versions whose node types are kept; past this the cache starts over (versions never change). */
const MAX_VERSIONS = 2_000;

type StepRef = { workflowId: string; version: number; nodeId: string | null };

/** The node type (`uses`) of each node of a workflow version, read once per version, nested bodies included. */
export function createNodeTypeCache(sql: Sql): {
  lookup(refs: StepRef[]): Promise<(ref: StepRef) => string | undefined>;
} {
  const byVersion = new Map<string, Map<string, string>>();
  const keyOf = (ref: { workflowId: string; version: number }) => `${ref.workflowId}@${ref.version}`;

  async function load(missing: { workflowId: string; version: number }[]): Promise<void> {
    if (byVersion.size + missing.length > MAX_VERSIONS) byVersion.clear();
    for (const ref of missing) byVersion.set(keyOf(ref), new Map());
    const rows = (await sql`
      select v.workflow_id, v.version, n->>'id' as node_id, n->>'uses' as uses
      from workflow_versions v
      join unnest(${missing.map((ref) => ref.workflowId)}::text[], ${missing.map((ref) => ref.version)}::int[])
        as wanted(workflow_id, version) on wanted.workflow_id = v.workflow_id and wanted.version = v.version,
        jsonb_path_query(v.document, '$.**.nodes[*]') n`) as unknown as {
      workflowId: string;
      version: number;
      nodeId: string | null;
      uses: string | null;
    }[];
    for (const row of rows) {
      if (row.nodeId && row.uses) byVersion.get(keyOf(row))?.set(row.nodeId, row.uses);
    }
  }

  return {
    async lookup(refs) {
      const missing = new Map<string, { workflowId: string; version: number }>();
      for (const ref of refs) if (!byVersion.has(keyOf(ref))) missing.set(keyOf(ref), ref);
      if (missing.size > 0) await load([...missing.values()]);
      return (ref) => (ref.nodeId === null ? undefined : byVersion.get(keyOf(ref))?.get(ref.nodeId));
    },
  };
}
