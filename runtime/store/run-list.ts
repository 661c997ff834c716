import { z } from 'zod';
import type { Sql } from '../../db/index.ts';
import { RunStatus } from './run-status.ts';
import { listRunSummaries, type RunSummary } from './run-store.ts';

const Instant = z.iso
  .datetime({ offset: true, error: 'an ISO 8601 date-time, e.g. 2026-12-07T00:00:00Z' })
  .transform((text) => new Date(text));

/** The filters and page of a run listing (GET /api/runs, the web page's runs list), as query parameters. */
export const RunListQuery = z
  .object({
    workflowId: z.string().min(1).max(200).optional(),
    status: RunStatus.optional(),
    /** Runs created at or after this instant. */
    from: Instant.optional(),
    /** Runs created before this instant. */
    to: Instant.optional(),
    limit: z.coerce.number().int().min(1).max(500).default(50),
    offset: z.coerce.number().int().min(0).max(1_000_000).default(0),
  })
  .refine((query) => !query.from || !query.to || query.from < query.to, {
    message: '`from` must be before `to`',
    path: ['to'],
  });
export type RunListQuery = z.infer<typeof RunListQuery>;

export type RunPage = { runs: RunSummary[]; nextOffset: number | null };

/** One page of runs, newest first; `nextOffset` is the next page's offset, or null on the last page. */
export async function listRunPage(
  sql: Sql,
  query: RunListQuery & { visibleToUserId?: string | undefined },
): Promise<RunPage> {
  const rows = await listRunSummaries(sql, { ...query, limit: query.limit + 1 });
  const more = rows.length > query.limit;
  return {
    runs: more ? rows.slice(0, query.limit) : rows,
    nextOffset: more ? query.offset + query.limit : null,
  };
}
