import { z } from 'zod';
import { type AuditBy, audit } from '../../access/index.ts';
import type { Sql } from '../../db/index.ts';
import { json } from '../../db/index.ts';
import type { Logger } from '../../lib/index.ts';
import type { ConnectorDefinition } from '../sdk/define.ts';
import {
  type ImportedOpenApiConnector,
  type ImportIssue,
  importOpenApi,
  type StoredOpenApiConnector,
} from './import-openapi.ts';

const StoredRow = z.object({
  name: z.string(),
  spec: z.unknown(),
  baseUrl: z.string().nullable(),
  createdAt: z.date(),
});

export type ImportedConnectorSummary = { name: string; baseUrl: string | null; createdAt: Date };

/** Stores (or replaces) an imported connector's spec under its name. */
export async function saveImportedConnector(
  sql: Sql,
  stored: StoredOpenApiConnector,
  by?: AuditBy,
): Promise<void> {
  await sql.begin(async (tx) => {
    const [row] = await tx`
      insert into openapi_connectors (name, spec, base_url)
      values (${stored.name}, ${json(tx, stored.spec)}, ${stored.baseUrl ?? null})
      on conflict (name) do update set spec = excluded.spec, base_url = excluded.base_url, updated_at = now()
      returning (xmax = 0) as created`;
    await audit(tx, {
      ...by,
      action: row?.created ? 'connector.imported' : 'connector.reimported',
      subjectType: 'connector',
      subjectId: stored.name,
      details: { baseUrl: stored.baseUrl ?? null },
    });
  });
}

export async function deleteImportedConnector(sql: Sql, name: string, by?: AuditBy): Promise<boolean> {
  return sql.begin(async (tx) => {
    const rows = await tx`delete from openapi_connectors where name = ${name} returning name`;
    if (rows.length > 0)
      await audit(tx, { ...by, action: 'connector.deleted', subjectType: 'connector', subjectId: name });
    return rows.length > 0;
  });
}

export async function listImportedConnectors(sql: Sql): Promise<ImportedConnectorSummary[]> {
  const rows =
    await sql`select name, base_url, created_at, 'null'::jsonb as spec from openapi_connectors order by name`;
  return rows.map((row) => {
    const parsed = StoredRow.parse(row);
    return { name: parsed.name, baseUrl: parsed.baseUrl, createdAt: parsed.createdAt };
  });
}

/** Every stored spec, imported again: the connectors and the names that no longer import (with why). */
export async function loadImportedOpenApi(
  sql: Sql,
): Promise<{ imported: ImportedOpenApiConnector[]; failed: { name: string; issues: ImportIssue[] }[] }> {
  const rows = await sql`select name, spec, base_url, created_at from openapi_connectors order by name`;
  const imported: ImportedOpenApiConnector[] = [];
  const failed: { name: string; issues: ImportIssue[] }[] = [];
  for (const row of rows) {
    const parsed = StoredRow.safeParse(row);
    if (!parsed.success) {
      failed.push({
        name: String(row.name),
        issues: [{ path: '/', message: 'stored row has an unexpected shape' }],
      });
      continue;
    }
    const result = importOpenApi(parsed.data.spec, {
      name: parsed.data.name,
      ...(parsed.data.baseUrl ? { baseUrl: parsed.data.baseUrl } : {}),
    });
    if (result.ok) imported.push(result.value);
    else failed.push({ name: parsed.data.name, issues: result.error });
  }
  return { imported, failed };
}

/** The imported connectors as ConnectorDefinitions, for the registry at start; broken specs are logged and skipped. */
export async function loadImportedConnectors(sql: Sql, logger?: Logger): Promise<ConnectorDefinition[]> {
  const { imported, failed } = await loadImportedOpenApi(sql);
  for (const failure of failed) {
    logger?.warn({ connector: failure.name, issues: failure.issues }, 'imported OpenAPI connector skipped');
  }
  return imported.map((entry) => entry.connector as ConnectorDefinition);
}
