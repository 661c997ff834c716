import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { audit, needs, principalOf } from '../../access/index.ts';
import type { Sql } from '../../db/index.ts';
import {
  alertRuleNotFound,
  assertMayManageAlertRule,
  CreateAlertRule,
  createAlertRule,
  deleteAlertRule,
  getAlertRule,
  listAlertEvents,
  listAlertRules,
  maySeeAlertRule,
  type StoredAlertRule,
  toRuleView,
  UpdateAlertRule,
  updateAlertRule,
} from '../alerts/index.ts';
import { parseRequest } from './http-errors.ts';
import type { RouteDoc } from './openapi.ts';

const RuleParams = z.object({ id: z.string().min(1).max(200) });
const RulesQuery = z.object({ workflowId: z.string().min(1).max(200).optional() });
const EventsQuery = z.object({
  ruleId: z.string().min(1).max(200).optional(),
  workflowId: z.string().min(1).max(200).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
  cursor: z
    .string()
    .regex(/^\d{1,19}$/, 'the nextCursor of a previous page')
    .optional(),
});

export const ALERT_ROUTE_DOCS: RouteDoc[] = [
  {
    method: 'get',
    path: '/api/alerts',
    summary:
      'Alert rules you may see (permission workflow.read; rules over every workflow: admins), ?workflowId → { rules: [{ id, name, workflowId, condition, destination, cooldownMinutes, enabled, openAlerts, … }] } (never the signing secret)',
  },
  {
    method: 'post',
    path: '/api/alerts',
    summary:
      'Create an alert rule (workflow.activate on a workflow you may see; workflowId null: workflow.manage_all; a slack, discord, webhook or email destination: workflow.propose) → 201 { rule, secret } (secret signs webhook deliveries: x-vmesh-signature = sha256=HMAC-SHA256(secret, x-vmesh-timestamp + "." + body); shown once)',
    body: CreateAlertRule,
  },
  { method: 'get', path: '/api/alerts/{id}', summary: 'One alert rule → { rule }' },
  {
    method: 'patch',
    path: '/api/alerts/{id}',
    summary: 'Change an alert rule (same permissions as creating it) → { rule }',
    body: UpdateAlertRule,
  },
  { method: 'delete', path: '/api/alerts/{id}', summary: 'Delete an alert rule → { id, deleted: true }' },
  {
    method: 'get',
    path: '/api/alerts/events',
    summary:
      'Alerts sent, newest first (fired, renotified, recovered, with the evidence link and whether delivery worked), ?ruleId, ?workflowId, ?limit, ?cursor → { events, nextCursor }',
  },
];

/** /api/alerts: alert rules and the alerts they sent, each scoped to what the caller may see. */
export function registerAlertRoutes(app: FastifyInstance, options: { sql: Sql }): void {
  const { sql } = options;

  const visibleRule = async (request: Parameters<typeof principalOf>[0], id: string) => {
    const rule = await getAlertRule(sql, id);
    if (!rule || !(await maySeeAlertRule(sql, principalOf(request), rule.workflowId)))
      throw alertRuleNotFound(id);
    return rule;
  };
  const visibleRules = async (request: Parameters<typeof principalOf>[0], workflowId?: string) => {
    const principal = principalOf(request);
    const rules = await listAlertRules(sql, { workflowId });
    const seen: StoredAlertRule[] = [];
    for (const rule of rules) if (await maySeeAlertRule(sql, principal, rule.workflowId)) seen.push(rule);
    return seen;
  };

  app.get('/api/alerts', needs('workflow.read'), async (request) => {
    const query = parseRequest(RulesQuery, request.query, 'query');
    return { rules: (await visibleRules(request, query.workflowId)).map(toRuleView) };
  });

  app.get('/api/alerts/events', needs('workflow.read'), async (request) => {
    const query = parseRequest(EventsQuery, request.query, 'query');
    const rules = (await visibleRules(request, query.workflowId)).filter(
      (rule) => query.ruleId === undefined || rule.id === query.ruleId,
    );
    const events = await listAlertEvents(sql, {
      ruleIds: rules.map((rule) => rule.id),
      limit: query.limit,
      before: query.cursor,
    });
    return { events, nextCursor: events.length === query.limit ? (events.at(-1)?.id ?? null) : null };
  });

  app.post('/api/alerts', needs('workflow.activate'), async (request, reply) => {
    const principal = principalOf(request);
    const body = parseRequest(CreateAlertRule, request.body, 'body');
    await assertMayManageAlertRule(sql, principal, body);
    const created = await createAlertRule(sql, body, principal.userId);
    await audit(sql, {
      principal,
      action: 'alert.created',
      subjectType: 'alert',
      subjectId: created.rule.id,
      details: { workflowId: body.workflowId, kind: body.condition.kind, destination: body.destination.type },
    });
    return reply.code(201).send(created);
  });

  app.get('/api/alerts/:id', needs('workflow.read'), async (request) => {
    const { id } = parseRequest(RuleParams, request.params, 'path');
    return { rule: toRuleView(await visibleRule(request, id)) };
  });

  app.patch('/api/alerts/:id', needs('workflow.activate'), async (request) => {
    const principal = principalOf(request);
    const { id } = parseRequest(RuleParams, request.params, 'path');
    const change = parseRequest(UpdateAlertRule, request.body, 'body');
    const rule = await visibleRule(request, id);
    await assertMayManageAlertRule(sql, principal, rule);
    if (change.destination)
      await assertMayManageAlertRule(sql, principal, { ...rule, destination: change.destination });
    const updated = await updateAlertRule(sql, id, change);
    if (!updated) throw alertRuleNotFound(id);
    await audit(sql, {
      principal,
      action: 'alert.updated',
      subjectType: 'alert',
      subjectId: id,
      details: { fields: Object.keys(change) },
    });
    return { rule: toRuleView(updated) };
  });

  app.delete('/api/alerts/:id', needs('workflow.activate'), async (request) => {
    const principal = principalOf(request);
    const { id } = parseRequest(RuleParams, request.params, 'path');
    const rule = await visibleRule(request, id);
    await assertMayManageAlertRule(sql, principal, { ...rule, destination: { type: 'conversation' } });
    await deleteAlertRule(sql, id);
    await audit(sql, {
      principal,
      action: 'alert.deleted',
      subjectType: 'alert',
      subjectId: id,
      details: {},
    });
    return { id, deleted: true };
  });
}
