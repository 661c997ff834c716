import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { json, type Sql } from '../../db/index.ts';
import {
  AlertCondition,
  type AlertRuleView,
  type CreateAlertRule,
  StoredAlertDestination,
  type UpdateAlertRule,
} from './alert-rule.ts';

/** A rule as the evaluator needs it, secret included (never shown). */
export type StoredAlertRule = AlertRuleView & { secret: string; createdAtDate: Date };

const iso = (value: unknown): string | null =>
  value instanceof Date ? value.toISOString() : value == null ? null : String(value);

const RuleRow = z.object({
  id: z.string(),
  name: z.string(),
  workflowId: z.string().nullable(),
  condition: z.unknown(),
  destination: z.unknown(),
  secret: z.string(),
  cooldownMinutes: z.number(),
  enabled: z.boolean(),
  createdBy: z.string().nullable(),
  createdAt: z.date(),
  evaluatedAt: z.date().nullable(),
  openAlerts: z.coerce.number().default(0),
});

function toRule(row: unknown): StoredAlertRule {
  const parsed = RuleRow.parse(row);
  return {
    id: parsed.id,
    name: parsed.name,
    workflowId: parsed.workflowId,
    condition: AlertCondition.parse(parsed.condition),
    destination: StoredAlertDestination.parse(parsed.destination),
    secret: parsed.secret,
    cooldownMinutes: parsed.cooldownMinutes,
    enabled: parsed.enabled,
    createdBy: parsed.createdBy,
    createdAt: parsed.createdAt.toISOString(),
    createdAtDate: parsed.createdAt,
    evaluatedAt: iso(parsed.evaluatedAt),
    openAlerts: parsed.openAlerts,
  };
}

/** The rule without its secret, for every reader outside the evaluator. */
export function toRuleView(rule: StoredAlertRule): AlertRuleView {
  const { secret: _secret, createdAtDate: _created, ...view } = rule;
  return view;
}

const newRuleId = () => `alr_${randomBytes(9).toString('base64url')}`;
const newRuleSecret = () => `whs_${randomBytes(24).toString('base64url')}`;

const SELECT = (sql: Sql) => sql`
  select r.id, r.name, r.workflow_id, r.condition, r.destination, r.secret, r.cooldown_minutes, r.enabled,
    r.created_by, r.created_at, r.evaluated_at,
    (select count(*) from alert_states s where s.rule_id = r.id) as open_alerts
  from alert_rules r`;

/** Stores a rule; the answer carries the webhook signing secret once. */
export async function createAlertRule(
  sql: Sql,
  input: Omit<CreateAlertRule, 'destination'> & { destination: StoredAlertDestination },
  createdBy: string | null,
): Promise<{ rule: AlertRuleView; secret: string }> {
  const id = newRuleId();
  const secret = newRuleSecret();
  await sql`
    insert into alert_rules (id, name, workflow_id, condition, destination, secret, cooldown_minutes, enabled, created_by)
    values (${id}, ${input.name}, ${input.workflowId}, ${json(sql, input.condition)}, ${json(sql, input.destination)},
      ${secret}, ${input.cooldownMinutes}, ${input.enabled}, ${createdBy})`;
  const stored = await getAlertRule(sql, id);
  if (!stored) throw new Error(`alert rule ${id} vanished after insert`);
  return { rule: toRuleView(stored), secret };
}

export async function getAlertRule(sql: Sql, id: string): Promise<StoredAlertRule | undefined> {
  const [row] = await sql`${SELECT(sql)} where r.id = ${id}`;
  return row ? toRule(row) : undefined;
}

/** Rules of one workflow, or all (global ones included), oldest first. */
export async function listAlertRules(
  sql: Sql,
  filter: { workflowId?: string | undefined } = {},
): Promise<StoredAlertRule[]> {
  const rows = filter.workflowId
    ? await sql`${SELECT(sql)} where r.workflow_id = ${filter.workflowId} order by r.created_at, r.id`
    : await sql`${SELECT(sql)} order by r.created_at, r.id`;
  return rows.map(toRule);
}

export async function updateAlertRule(
  sql: Sql,
  id: string,
  change: UpdateAlertRule,
): Promise<StoredAlertRule | undefined> {
  const [row] = await sql`
    update alert_rules set
      name = coalesce(${change.name ?? null}, name),
      condition = coalesce(${change.condition ? json(sql, change.condition) : null}::jsonb, condition),
      destination = coalesce(${change.destination ? json(sql, change.destination) : null}::jsonb, destination),
      cooldown_minutes = coalesce(${change.cooldownMinutes ?? null}::int, cooldown_minutes),
      enabled = coalesce(${change.enabled ?? null}::boolean, enabled),
      updated_at = now()
    where id = ${id} returning id`;
  if (!row) return undefined;
  // A changed condition starts over: what was open under the old one is not the new one's to recover.
  if (change.condition) await sql`delete from alert_states where rule_id = ${id}`;
  return getAlertRule(sql, id);
}

export async function deleteAlertRule(sql: Sql, id: string): Promise<boolean> {
  const rows = await sql`delete from alert_rules where id = ${id} returning id`;
  return rows.length > 0;
}

export type AlertEventView = {
  id: string;
  ruleId: string;
  ruleName: string;
  workflowId: string | null;
  subject: string;
  type: 'fired' | 'renotified' | 'recovered';
  message: string;
  link: string | null;
  delivered: boolean;
  deliveryError: string | null;
  at: string;
};

const EventRow = z.object({
  id: z.coerce.string(),
  ruleId: z.string(),
  ruleName: z.string(),
  workflowId: z.string().nullable(),
  subject: z.string(),
  type: z.enum(['fired', 'renotified', 'recovered']),
  message: z.string(),
  link: z.string().nullable(),
  delivered: z.boolean(),
  deliveryError: z.string().nullable(),
  createdAt: z.date(),
});

/** Alerts sent (fired, re-notified, recovered), newest first; `ruleIds` limits them to rules the reader may see. */
export async function listAlertEvents(
  sql: Sql,
  filter: { ruleIds: readonly string[]; limit: number; before?: string | undefined },
): Promise<AlertEventView[]> {
  if (filter.ruleIds.length === 0) return [];
  const rows = await sql`
    select e.id, e.rule_id, r.name as rule_name, e.workflow_id, e.subject, e.type, e.message, e.link, e.delivered,
      e.delivery_error, e.created_at
    from alert_events e join alert_rules r on r.id = e.rule_id
    where e.rule_id = any(${filter.ruleIds as string[]})
      ${filter.before ? sql`and e.id < ${filter.before}` : sql``}
    order by e.id desc limit ${filter.limit}`;
  return rows.map((row) => {
    const parsed = EventRow.parse(row);
    const { createdAt, ...rest } = parsed;
    return { ...rest, at: createdAt.toISOString() };
  });
}
