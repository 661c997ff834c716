import type { Sql } from '../../db/index.ts';
import { type Logger, redactString } from '../../lib/index.ts';
import { type AlertSubject, subjectsOf, workflowLink } from './alert-conditions.ts';
import { ALERT_KIND_MEANING } from './alert-rule.ts';
import { getAlertRule, type StoredAlertRule } from './alert-rule-store.ts';

/** The graphile-worker task that evaluates alert rules; cron runs it every minute, once per slot across workers. */
export const ALERTS_TASK = 'vmesh_alerts_evaluate';
export const ALERTS_CRONTAB = `* * * * * ${ALERTS_TASK}`;

/** What one delivery says: the rule's name and kind, the facts and the evidence link. */
export type AlertNotice = {
  type: 'fired' | 'renotified' | 'recovered';
  ruleId: string;
  ruleName: string;
  kind: StoredAlertRule['condition']['kind'];
  subject: string;
  workflowIds: string[];
  /** One line for a chat, a subject line for email. */
  title: string;
  message: string;
  link: string | null;
  at: string;
};

/** Sends a notice to the rule's destination; throws when it could not. */
export type AlertDeliver = (rule: StoredAlertRule, notice: AlertNotice) => Promise<void>;

export type EvaluateOptions = {
  sql: Sql;
  deliver: AlertDeliver;
  publicUrl: string;
  logger?: Logger | undefined;
  now?: Date;
  /** Rules per tick, the longest unevaluated first (the rest wait for the next tick). Default 25. */
  maxRules?: number;
};

/** Sent alerts are kept this long (the open alerts themselves stay until they recover). */
const EVENTS_KEPT_DAYS = 90;

export type EvaluateResult = {
  rules: number;
  fired: number;
  renotified: number;
  recovered: number;
  failed: number;
};

const titleOf = (rule: StoredAlertRule, type: AlertNotice['type'], label: string) =>
  type === 'recovered'
    ? `✓ Recovered: ${rule.name} — ${label}`
    : `⚠ Alert: ${rule.name} — ${ALERT_KIND_MEANING[rule.condition.kind]}${type === 'renotified' ? ' (still)' : ''}`;

/**
 * One tick: claims the rules evaluated longest ago (skipping those another tick holds), works out what each fires
 * about, and tells the destination once per new subject, again after the cooldown while it lasts, and once when it
 * recovers. The open alerts (one row per rule and subject) are the deduplication.
 */
export async function evaluateAlerts(options: EvaluateOptions): Promise<EvaluateResult> {
  const { sql } = options;
  const now = options.now ?? new Date();
  const result: EvaluateResult = { rules: 0, fired: 0, renotified: 0, recovered: 0, failed: 0 };
  const claimed = await sql`
    update alert_rules set evaluated_at = ${now}
    where id in (
      select id from alert_rules where enabled order by evaluated_at nulls first, id
      limit ${options.maxRules ?? 25} for update skip locked
    ) returning id`;
  await sql`
    delete from alert_events where id in (
      select id from alert_events where created_at < ${new Date(now.getTime() - EVENTS_KEPT_DAYS * 86_400_000)}
      order by id limit 1000
    )`;
  for (const { id } of claimed) {
    const rule = await getAlertRule(sql, String(id));
    if (!rule) continue;
    result.rules += 1;
    try {
      await evaluateRule(options, rule, now, result);
    } catch (error) {
      options.logger?.warn({ err: error, ruleId: rule.id }, 'could not evaluate an alert rule');
    }
  }
  return result;
}

async function evaluateRule(
  options: EvaluateOptions,
  rule: StoredAlertRule,
  now: Date,
  result: EvaluateResult,
): Promise<void> {
  const { sql } = options;
  const subjects = await subjectsOf(
    {
      sql,
      workflowId: rule.workflowId,
      ruleCreatedAt: rule.createdAtDate,
      now,
      publicUrl: options.publicUrl,
    },
    rule.condition,
  );
  const send = async (type: AlertNotice['type'], subject: AlertSubject) => {
    const notice: AlertNotice = {
      type,
      ruleId: rule.id,
      ruleName: rule.name,
      kind: rule.condition.kind,
      subject: subject.key,
      workflowIds: subject.workflowIds,
      title: titleOf(rule, type, subject.label),
      message: subject.message,
      link: subject.link || null,
      at: now.toISOString(),
    };
    let deliveryError: string | null = null;
    try {
      await options.deliver(rule, notice);
    } catch (error) {
      deliveryError = redactString(error instanceof Error ? error.message : String(error)).slice(0, 1000);
      result.failed += 1;
      options.logger?.warn(
        { ruleId: rule.id, subject: subject.key, type, deliveryError },
        'alert not delivered',
      );
    }
    await sql`
      insert into alert_events (rule_id, workflow_id, subject, type, message, link, delivered, delivery_error)
      values (${rule.id}, ${subject.workflowIds[0] ?? null}, ${subject.key}, ${type}, ${notice.message},
        ${notice.link}, ${deliveryError === null}, ${deliveryError})`;
    result[type] += 1;
  };

  for (const subject of subjects) {
    const opened = await sql`
      insert into alert_states (rule_id, subject, label, workflow_ids, opened_at, notified_at)
      values (${rule.id}, ${subject.key}, ${subject.label}, ${subject.workflowIds}, ${now}, ${now})
      on conflict (rule_id, subject) do nothing returning subject`;
    if (opened.length > 0) {
      await send('fired', subject);
      continue;
    }
    const due = await sql`
      update alert_states set notified_at = ${now}, notifications = notifications + 1, label = ${subject.label},
        workflow_ids = ${subject.workflowIds}
      where rule_id = ${rule.id} and subject = ${subject.key}
        and notified_at <= ${new Date(now.getTime() - rule.cooldownMinutes * 60_000)}
      returning subject`;
    if (due.length > 0) await send('renotified', subject);
  }
  const firing = subjects.map((subject) => subject.key);
  const recovered = await sql`
    delete from alert_states where rule_id = ${rule.id} and not (subject = any(${firing}))
    returning subject, label, workflow_ids`;
  for (const row of recovered) {
    const label = String(row.label);
    const firstWorkflow = ((row.workflowIds as string[] | null) ?? [])[0];
    await send('recovered', {
      key: String(row.subject),
      label,
      workflowIds: (row.workflowIds as string[] | null) ?? [],
      message: `Recovered: ${label} is fine again (${ALERT_KIND_MEANING[rule.condition.kind]} no longer holds).`,
      link: firstWorkflow ? workflowLink(options.publicUrl, firstWorkflow) : '',
    });
  }
}
