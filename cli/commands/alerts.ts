import { type Command, InvalidArgumentError } from 'commander';
import { audit } from '../../access/index.ts';
import { ValidationError } from '../../lib/index.ts';
import {
  ALERT_KIND_MEANING,
  alertRuleNotFound,
  assertMayManageAlertRule,
  CreateAlertRule,
  createAlertRule,
  deleteAlertRule,
  getAlertRule,
  listAlertEvents,
  listAlertRules,
  type StoredAlertDestination,
  toRuleView,
} from '../../runtime/index.ts';
import { printOut } from '../terminal-text.ts';
import { asLocalOwner, table } from './access-cli.ts';

type AddOptions = {
  name: string;
  kind: string;
  workflow?: string;
  to: string;
  credential?: string;
  windowMinutes?: number;
  threshold?: number;
  minRuns?: number;
  hours?: number;
  cooldown?: number;
  json?: boolean;
};

const number = (value: string): number => {
  const parsed = Number(value);
  if (!Number.isFinite(parsed)) throw new InvalidArgumentError('not a number');
  return parsed;
};

/** `--to conversation | slack:CHANNEL | discord:CHANNEL | webhook:URL | email:ADDRESS` (with `--credential`). */
function destinationOf(to: string, credential: string | undefined): unknown {
  if (to === 'conversation') return { type: 'conversation' };
  const colon = to.indexOf(':');
  const type = colon < 0 ? to : to.slice(0, colon);
  const rest = colon < 0 ? '' : to.slice(colon + 1);
  if (type === 'slack' || type === 'discord') return { type, channel: rest };
  if (type === 'webhook') return { type, url: rest };
  if (type === 'email') return { type, to: rest, credential };
  return { type };
}

const describeDestination = (destination: StoredAlertDestination): string => {
  switch (destination.type) {
    case 'conversation':
      return destination.conversationId ? `conversation:${destination.conversationId}` : 'conversation';
    case 'slack':
    case 'discord':
      return `${destination.type}:${destination.channel}`;
    case 'webhook':
      return `webhook:${destination.url}`;
    case 'email':
      return `email:${destination.to} (via ${destination.credential})`;
  }
};

/** `vmesh alerts list|add|remove|events`: alert rules, as the local owner. */
export function registerAlertsCommand(program: Command): void {
  const alerts = program
    .command('alerts')
    .description(
      'Alert rules: failure rate, no success for N hours, stalled poll trigger, credential reconnect, output shape.',
    );

  alerts
    .command('list')
    .description('List alert rules (never their signing secrets).')
    .option('--workflow <id>', "only this workflow's rules")
    .option('--json', 'print JSON: the rules of GET /api/alerts')
    .action(async (options: { workflow?: string; json?: boolean }) => {
      await asLocalOwner(async (sql) => {
        const rules = (await listAlertRules(sql, { workflowId: options.workflow })).map(toRuleView);
        if (options.json) {
          printOut(`${JSON.stringify(rules, null, 2)}\n`);
          return;
        }
        if (rules.length === 0) {
          printOut('No alert rules. Add one with `vmesh alerts add --name N --kind K --to D`.\n');
          return;
        }
        printOut(
          table(
            ['ID', 'NAME', 'WORKFLOW', 'KIND', 'TO', 'OPEN', 'ENABLED'],
            rules.map((rule) => [
              rule.id,
              rule.name,
              rule.workflowId ?? '(all)',
              rule.condition.kind,
              describeDestination(rule.destination),
              String(rule.openAlerts),
              rule.enabled ? 'yes' : 'no',
            ]),
          ),
        );
      });
    });

  alerts
    .command('add')
    .description('Add an alert rule; a webhook rule prints its signing secret once.')
    .requiredOption('--name <name>', 'what the alert is called in messages')
    .requiredOption('--kind <kind>', `one of: ${Object.keys(ALERT_KIND_MEANING).join(', ')}`)
    .option('--workflow <id>', 'the workflow to watch (default: every workflow)')
    .requiredOption(
      '--to <destination>',
      'conversation | slack:CHANNEL | discord:CHANNEL | webhook:URL | email:ADDRESS (with --credential)',
    )
    .option('--credential <name>', 'the stored SMTP credential an email alert is sent with')
    .option('--window-minutes <n>', 'failure_rate: the window (default 60)', number)
    .option('--threshold <ratio>', 'failure_rate: failed share that fires, 0-1 (default 0.5)', number)
    .option('--min-runs <n>', 'failure_rate: fewest finished runs in the window (default 3)', number)
    .option('--hours <n>', 'no_success: hours without a successful run', number)
    .option('--cooldown <minutes>', 'send an open alert again at most this often (default 60)', number)
    .option('--json', 'print JSON: { rule, secret }')
    .action(async (options: AddOptions) => {
      await asLocalOwner(async (sql, owner) => {
        const condition: Record<string, unknown> = { kind: options.kind };
        if (options.windowMinutes !== undefined) condition.windowMinutes = options.windowMinutes;
        if (options.threshold !== undefined) condition.threshold = options.threshold;
        if (options.minRuns !== undefined) condition.minRuns = options.minRuns;
        if (options.hours !== undefined) condition.hours = options.hours;
        const parsed = CreateAlertRule.safeParse({
          name: options.name,
          workflowId: options.workflow ?? null,
          condition,
          destination: destinationOf(options.to, options.credential),
          ...(options.cooldown === undefined ? {} : { cooldownMinutes: options.cooldown }),
        });
        if (!parsed.success)
          throw new ValidationError({
            code: 'E_INVALID_ALERT',
            message: `Invalid alert rule: ${parsed.error.issues
              .map((issue) => `${issue.path.join('.') || '(rule)'}: ${issue.message}`)
              .join('; ')}`,
            hint: 'See `vmesh alerts add --help`.',
          });
        await assertMayManageAlertRule(sql, owner, parsed.data);
        const created = await createAlertRule(sql, parsed.data, owner.userId);
        await audit(sql, {
          principal: owner,
          action: 'alert.created',
          subjectType: 'alert',
          subjectId: created.rule.id,
          details: {
            workflowId: parsed.data.workflowId,
            kind: parsed.data.condition.kind,
            destination: parsed.data.destination.type,
          },
        });
        if (options.json) {
          printOut(`${JSON.stringify(created, null, 2)}\n`);
          return;
        }
        printOut(
          `Added alert rule ${created.rule.id} (${created.rule.condition.kind} → ${describeDestination(created.rule.destination)}).\n`,
        );
        if (created.rule.destination.type === 'webhook')
          printOut(
            `Signing secret (shown once): ${created.secret}\n` +
              'Deliveries carry x-vmesh-signature: sha256=HMAC-SHA256(secret, x-vmesh-timestamp + "." + body).\n',
          );
      });
    });

  alerts
    .command('remove')
    .description('Remove alert rule ID (its open alerts close without a recovery message).')
    .argument('<id>', 'rule id (alr_…)')
    .option('--json', 'print JSON: { id, deleted }')
    .action(async (id: string, options: { json?: boolean }) => {
      await asLocalOwner(async (sql, owner) => {
        const rule = await getAlertRule(sql, id);
        if (!rule) throw alertRuleNotFound(id);
        await deleteAlertRule(sql, id);
        await audit(sql, { principal: owner, action: 'alert.deleted', subjectType: 'alert', subjectId: id });
        printOut(
          options.json
            ? `${JSON.stringify({ id, deleted: true })}\n`
            : `Removed alert rule ${id} (${rule.name}).\n`,
        );
      });
    });

  alerts
    .command('events')
    .description('Alerts sent, newest first: fired, renotified, recovered.')
    .option('--limit <n>', 'how many (default 20)', number)
    .option('--json', 'print JSON: the events of GET /api/alerts/events')
    .action(async (options: { limit?: number; json?: boolean }) => {
      await asLocalOwner(async (sql) => {
        const rules = await listAlertRules(sql);
        const events = await listAlertEvents(sql, {
          ruleIds: rules.map((rule) => rule.id),
          limit: Math.min(Math.max(1, Math.trunc(options.limit ?? 20)), 500),
        });
        if (options.json) {
          printOut(`${JSON.stringify(events, null, 2)}\n`);
          return;
        }
        if (events.length === 0) {
          printOut('No alerts sent yet.\n');
          return;
        }
        printOut(
          table(
            ['AT', 'RULE', 'TYPE', 'SUBJECT', 'DELIVERED'],
            events.map((event) => [
              event.at,
              event.ruleName,
              event.type,
              event.subject,
              event.delivered ? 'yes' : `no: ${event.deliveryError ?? ''}`,
            ]),
          ),
        );
      });
    });
}
