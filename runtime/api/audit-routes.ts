import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import {
  listAudit,
  needs,
  parseSince,
  parseSubject,
  requirePermission,
  verifyAuditChain,
} from '../../access/index.ts';
import type { Sql } from '../../db/index.ts';
import { parseRequest } from './http-errors.ts';
import type { RouteDoc } from './openapi.ts';

export const AuditQuery = z.object({
  since: z.string().max(64).optional(),
  actor: z.string().min(1).max(200).optional(),
  /** TYPE:ID or TYPE */
  subject: z.string().min(1).max(400).optional(),
  action: z.string().min(1).max(100).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
  cursor: z
    .string()
    .regex(/^\d{1,19}$/, 'the nextCursor of a previous page')
    .optional(),
});

export const AUDIT_ROUTE_DOCS: RouteDoc[] = [
  {
    method: 'get',
    path: '/api/audit',
    summary:
      'The audit log, newest first (permission audit.read): ?since=7d|date, ?actor=NAME, ?subject=TYPE:ID, ?action, ?limit, ?cursor → { entries, nextCursor }',
  },
  {
    method: 'get',
    path: '/api/audit/verify',
    summary:
      'Check the audit hash chain (permission audit.read) → { ok: true, entries, anchorId, headId } or { ok: false, entryId, reason }',
  },
];

/**
 * The route option the route authorization (access/route-permission.ts `needs`) reads; the handlers check the
 * permission themselves as well.
 */
const AUDIT_READ = needs('audit.read');

/** GET /api/audit and GET /api/audit/verify, both needing `audit.read`. */
export function registerAuditRoutes(app: FastifyInstance, options: { sql: Sql }): void {
  app.get('/api/audit', AUDIT_READ, async (request) => {
    requirePermission(request, 'audit.read');
    const query = parseRequest(AuditQuery, request.query, 'query');
    return listAudit(options.sql, {
      since: query.since ? parseSince(query.since) : undefined,
      actor: query.actor,
      ...(query.subject ? parseSubject(query.subject) : {}),
      action: query.action,
      limit: query.limit,
      before: query.cursor,
    });
  });
  app.get('/api/audit/verify', AUDIT_READ, async (request) => {
    requirePermission(request, 'audit.read');
    return verifyAuditChain(options.sql);
  });
}
