import { WEBHOOK_SCHEME_INFO } from './webhook-schemes-info.ts';
import { WEBHOOK_VERIFY_SCHEMES, WebhookTriggerWith } from './webhook-trigger-with.ts';

/** What the setup reads of a document: its trigger and the `uses` of its nodes (core.wait needs a caller too). */
export type SetupDocument = {
  trigger: { type: string; with?: Record<string, unknown> | undefined; credential?: string | undefined };
  nodes: readonly { id: string; uses: string }[];
};

/** What the setup reads of a catalog trigger entry (runtime/workflow/catalog.ts TriggerEntry has all of it). */
export type SetupTriggerInfo = {
  type: string;
  title: string;
  connectorId?: string | undefined;
  delivery?: 'webhook' | 'event' | 'poll' | undefined;
  senderEvents?: readonly string[] | undefined;
  registersItself?: boolean | undefined;
  /** Example trigger data: the README names its fields. */
  sample?: unknown;
};

export type SetupContext = {
  /** VMESH_PUBLIC_URL (or the server's own URL); undefined: shown as `<VMESH_PUBLIC_URL>`. */
  publicUrl?: string | undefined;
  /** The workflow's id; null or undefined for a workflow not stored yet (it gets its id on approval). */
  workflowId?: string | null | undefined;
  lookupTrigger(type: string): SetupTriggerInfo | undefined;
};

type KindContext = SetupContext & { info: SetupTriggerInfo | undefined; base: string; id: string };

/**
 * One way a run is started, and what a person must configure outside for it. `lines` is empty when nothing needs
 * configuring, or when it configures itself. A new kind is one more entry here (and a README row, which the
 * README test asks for).
 */
export type TriggerKindSetup = {
  /** The README's name for it: a core trigger type, or `<connector>.<trigger>` of one delivery kind. */
  kind: string;
  matches(trigger: SetupDocument['trigger'], info: SetupTriggerInfo | undefined): boolean;
  startedBy: string;
  setupNeeded: string;
  /** What `trigger` holds in the run's expressions. */
  holds: string;
  lines(trigger: SetupDocument['trigger'], context: KindContext): string[];
};

const NOTHING = 'nothing';
const isCore = (type: string) => (trigger: SetupDocument['trigger']) => trigger.type === type;
const isConnector =
  (delivery: 'webhook' | 'event' | 'poll') =>
  (_trigger: SetupDocument['trigger'], info: SetupTriggerInfo | undefined) =>
    info?.connectorId !== undefined && info.delivery === delivery;

function hookUrl(context: KindContext, token: boolean): string {
  return `POST ${context.base}/hooks/${context.id}${token ? '/<hook secret>' : ''}`;
}

/** The shown command, with the workflow's id when it has one. */
const withId = (text: string, context: KindContext) => text.replaceAll('ID --set', `${context.id} --set`);

function newWorkflowNote(context: KindContext): string[] {
  return context.workflowId
    ? []
    : ['The workflow id is given when you approve (`vmesh workflows list` shows it).'];
}

export const TRIGGER_SETUPS: readonly TriggerKindSetup[] = [
  {
    kind: 'manual',
    matches: isCore('manual'),
    startedBy: 'a person: the chat, `vmesh run`, `POST /api/workflows/:id/runs`',
    setupNeeded: NOTHING,
    holds: 'the input it was started with',
    lines: () => [],
  },
  {
    kind: 'webhook',
    matches: isCore('webhook'),
    startedBy:
      'an HTTP request to `POST /hooks/:workflowId` (`verify` "token": `POST /hooks/:workflowId/:token`)',
    setupNeeded: `the sender posts to the hook URL, signed in the \`with.verify\` scheme (${WEBHOOK_VERIFY_SCHEMES.join(', ')}; docs/workflow-format.md *Webhooks*); the secret is the workflow's hook secret, or the sender's own set with \`vmesh workflows hook-secret ID --set\``,
    holds: '`{ method, headers, query, body }` (the signature header left out)',
    lines(trigger, context) {
      const parsed = WebhookTriggerWith.safeParse(trigger.with ?? {});
      const verify = parsed.success ? (parsed.data.verify ?? 'vmesh') : 'vmesh';
      const scheme = WEBHOOK_SCHEME_INFO[verify];
      const header =
        verify === 'hmac' && parsed.success
          ? `\`${parsed.data.header}\`${parsed.data.prefix ? ` starting with \`${parsed.data.prefix}\`` : ''} (HMAC-${(parsed.data.algorithm ?? 'sha256').toUpperCase()} of the raw body, ${parsed.data.encoding ?? 'hex'})`
          : scheme.sends;
      return [
        `URL: ${hookUrl(context, verify === 'token')}`,
        `Signature (verify "${verify}"): ${header}`,
        `Secret: ${withId(scheme.secretAtSender, context)} (it is never shown here)`,
        `At ${scheme.sender}: ${scheme.register}`,
        ...newWorkflowNote(context),
      ];
    },
  },
  {
    kind: 'form',
    matches: isCore('form'),
    startedBy:
      'someone sending the hosted form at `/forms/:workflowId` (public: no sign-in; form token; rate-limited)',
    setupNeeded:
      'share the form link, `<VMESH_PUBLIC_URL>/forms/:workflowId` (`GET /api/workflows/:id` → `form.url`)',
    holds: '`{ fields: { <name>: value }, submittedAt }`',
    lines: (_trigger, context) => [
      `Form: ${context.base}/forms/${context.id} (share this link: anyone who has it can send the form)`,
      ...newWorkflowNote(context),
    ],
  },
  {
    kind: 'schedule',
    matches: isCore('schedule'),
    startedBy: '`trigger.cron` (with `trigger.timezone`) coming round',
    setupNeeded: NOTHING,
    holds: '`{ scheduledAt, firedAt }`',
    lines: () => [],
  },
  {
    kind: 'chat',
    matches: isCore('chat'),
    startedBy: 'a message in the conversation the workflow was made in',
    setupNeeded: NOTHING,
    holds: '`{ text, actor: { id }, threadKey, conversationId }`',
    lines: () => [],
  },
  {
    kind: 'workflow.failed',
    matches: isCore('workflow.failed'),
    startedBy: 'a run of a watched workflow (`with.workflows`, none: any readable one) failing for good',
    setupNeeded: NOTHING,
    holds: '`{ runId, workflow, failedStep, error, failedAt }` (the error redacted)',
    lines: () => [],
  },
  {
    kind: '<connector>.<trigger> (webhook)',
    matches: isConnector('webhook'),
    startedBy: "the vendor's delivery to `POST /hooks/:workflowId`, in the vendor's signature",
    setupNeeded:
      "at the vendor: the hook URL, the workflow's hook secret as the webhook's secret, the events the trigger names (GitHub: *Settings → Webhooks*); none when the trigger registers itself (it has `trigger.credential`)",
    holds: "the connector trigger's data (its doc's *trigger* section)",
    lines(trigger, context) {
      const info = context.info;
      const vendor = info?.connectorId ?? 'the vendor';
      // A subscription is made with the trigger's credential (runtime/triggers/subscriptions.ts); without one the
      // person adds the hook at the vendor.
      if (info?.registersItself && trigger.credential)
        return [`Registers itself at ${vendor} when the workflow is activated: nothing to configure there.`];
      const filters = Object.entries(trigger.with ?? {})
        .map(([key, value]) => `${key} ${JSON.stringify(value)}`)
        .join(', ');
      return [
        `URL: ${hookUrl(context, false)} (add it as a webhook at ${vendor}, content type application/json)`,
        `Secret: the workflow's hook secret as the webhook's secret (GET /api/workflows/${context.id} shows it to the owner; it is never shown here)`,
        ...(info?.senderEvents?.length ? [`Events to send: ${info.senderEvents.join(', ')}`] : []),
        ...(filters ? [`Only deliveries matching ${filters} start a run (checked here).`] : []),
        ...newWorkflowNote(context),
      ];
    },
  },
  {
    kind: '<connector>.<trigger> (event)',
    matches: isConnector('event'),
    startedBy:
      "the connector's front-end handing over a vendor event (the Slack bot's Events API or Socket Mode)",
    setupNeeded:
      "once per workspace, the front-end's app (bots/README.md) subscribed to the trigger's events",
    holds: "the connector trigger's data (its doc's *trigger* section)",
    lines(_trigger, context) {
      const events = context.info?.senderEvents ?? [];
      return [
        `Delivered by the ${context.info?.connectorId ?? 'connector'} front-end (bots/README.md), nothing per workflow${events.length ? `: its app must be subscribed to ${events.join(', ')}` : ''}.`,
      ];
    },
  },
  {
    kind: '<connector>.<trigger> (poll)',
    matches: isConnector('poll'),
    startedBy: 'VelocityMesh asking the vendor for new items (one poll job per active workflow)',
    setupNeeded: 'nothing at the vendor (the trigger credential, when it needs one)',
    holds: "one new item (its doc's *trigger* section); `with.backfill: N` fires the newest N on activation",
    lines: () => [],
  },
];

/** Steps that a system outside must call back (core.wait), beyond the trigger. */
function waitLines(document: SetupDocument): string[] {
  return document.nodes
    .filter((node) => node.uses === 'core.wait')
    .map(
      (node) =>
        `Step ${node.id} waits for a call to its one-time resume URL (POST /resume/<token>), issued at run time: once it waits, POST /api/runs/<run id>/steps/${node.id}/resume-url gives it; hand it to the system that resumes the run.`,
    );
}

/** The kind entry a trigger belongs to, if any. */
export function triggerKindSetup(
  trigger: SetupDocument['trigger'],
  info: SetupTriggerInfo | undefined,
): TriggerKindSetup | undefined {
  return TRIGGER_SETUPS.find((entry) => entry.matches(trigger, info));
}

/**
 * What a person must configure outside VelocityMesh for a document to start (and resume): the URL, which secret
 * (never the secret itself), the header, the events to send. Empty when nothing needs configuring.
 */
export function senderSetup(document: SetupDocument, context: SetupContext): string[] {
  const info = context.lookupTrigger(document.trigger.type);
  const kind = triggerKindSetup(document.trigger, info);
  const full: KindContext = {
    ...context,
    info,
    base: (context.publicUrl ?? '<VMESH_PUBLIC_URL>').replace(/\/+$/, ''),
    id: context.workflowId ?? '<workflow id>',
  };
  return [...(kind?.lines(document.trigger, full) ?? []), ...waitLines(document)];
}

/** `{ a, b, c }`: the top-level fields of a trigger's example data. */
function sampleFields(sample: unknown): string {
  if (!sample || typeof sample !== 'object' || Array.isArray(sample)) return 'see its doc';
  return `\`{ ${Object.keys(sample).join(', ')} }\``;
}

const cell = (text: string) => text.replaceAll('|', '\\|').replaceAll('\n', ' ');

/** The README's trigger table: every kind, core.wait, and each connector trigger given. */
export function triggerTableMarkdown(connectorTriggers: readonly SetupTriggerInfo[]): string {
  const rows = [
    '| trigger | what starts it | setup at the sender | `trigger` holds |',
    '| --- | --- | --- | --- |',
    ...TRIGGER_SETUPS.map(
      (entry) =>
        `| \`${entry.kind}\` | ${cell(entry.startedBy)} | ${cell(entry.setupNeeded)} | ${cell(entry.holds)} |`,
    ),
    "| `core.wait` (a step) | a call to the step's one-time `POST /resume/<token>` | the resume URL is issued at run time (`POST /api/runs/:id/steps/:nodeId/resume-url`); hand it to the caller | (the step's output: the call's body) |",
  ];
  for (const trigger of connectorTriggers) {
    if (trigger.connectorId === undefined) continue;
    const kind = triggerKindSetup({ type: trigger.type }, trigger);
    const events = trigger.senderEvents?.length ? `; events: ${trigger.senderEvents.join(', ')}` : '';
    const setup = trigger.registersItself
      ? `nothing when \`trigger.credential\` is set: registers itself on activation; without one, as \`${kind?.kind ?? trigger.type}\`${events}`
      : `as \`${kind?.kind ?? trigger.type}\`${events}`;
    rows.push(
      `| \`${trigger.type}\` | ${cell(trigger.title)} (${trigger.delivery ?? 'connector'}) | ${cell(setup)} | ${cell(sampleFields(trigger.sample))} |`,
    );
  }
  return `${rows.join('\n')}\n`;
}
