import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { defineTrigger, type WebhookDelivery } from '../../sdk/define.ts';

/** Linear says to refuse deliveries whose webhookTimestamp is more than a minute off (replays). */
export const MAX_CLOCK_SKEW_MS = 60_000;

export const IssueCreatedFilters = z.strictObject({
  teams: z
    .array(z.string().regex(/^[A-Z][A-Z0-9]{0,9}$/, 'a team key such as "ENG"'))
    .max(100)
    .optional()
    .describe('Only issues of these team keys, e.g. ["ENG"]. Default: every team the webhook covers.'),
  labels: z
    .array(z.string().min(1).max(80))
    .max(50)
    .optional()
    .describe('Only issues created with at least one of these label names.'),
  maxPriority: z
    .number()
    .int()
    .min(1)
    .max(4)
    .optional()
    .describe('Only issues at least this urgent: 1 urgent, 2 high, 3 medium, 4 low (0 "none" never passes).'),
});

export const IssueCreatedData = z.object({
  id: z.string().describe('Linear’s issue id (UUID).'),
  identifier: z.string().describe('The readable id, e.g. "ENG-123".'),
  title: z.string().describe('Title.'),
  description: z.string().describe('Description (Markdown).'),
  url: z.string().describe('Link to the issue.'),
  priority: z.number().int().describe('0 none, 1 urgent, 2 high, 3 medium, 4 low.'),
  team: z.string().nullable().describe('Team key.'),
  state: z.string().nullable().describe('Workflow state name.'),
  labels: z.array(z.string()).describe('Label names.'),
  createdAt: z.string().describe('When it was created (ISO).'),
  actor: z.string().nullable().describe('Who created it (name), when Linear says.'),
});
export type IssueCreatedData = z.infer<typeof IssueCreatedData>;

const Payload = z.object({
  action: z.string(),
  type: z.string(),
  webhookTimestamp: z.number().optional(),
  url: z.string().optional(),
  createdAt: z.string().optional(),
  actor: z.object({ name: z.string().optional() }).loose().optional(),
  data: z
    .object({
      id: z.string(),
      identifier: z.string().optional(),
      number: z.number().optional(),
      title: z.string(),
      description: z.string().nullable().optional(),
      url: z.string().optional(),
      priority: z.number().optional(),
      createdAt: z.string().optional(),
      team: z.object({ key: z.string() }).loose().nullable().optional(),
      state: z.object({ name: z.string() }).loose().nullable().optional(),
      labels: z
        .array(z.object({ name: z.string() }).loose())
        .max(250)
        .optional(),
    })
    .loose(),
});

function header(delivery: WebhookDelivery, name: string): string | undefined {
  const value = delivery.headers[name];
  return typeof value === 'string' ? value : undefined;
}

const Timestamp = z.object({ webhookTimestamp: z.number() });

/**
 * Linear's `Linear-Signature` (hex HMAC-SHA256 of the raw body with the webhook's signing secret), compared in
 * constant time, and the body's `webhookTimestamp` (ms) within a minute of now.
 */
export function verifyLinearDelivery(delivery: WebhookDelivery, secret: string, now = Date.now()): boolean {
  const given = header(delivery, 'linear-signature')?.trim() ?? '';
  if (!/^[0-9a-f]{64}$/i.test(given) || !secret) return false;
  const expected = createHmac('sha256', secret).update(delivery.rawBody).digest();
  const received = Buffer.from(given, 'hex');
  if (received.length !== expected.length || !timingSafeEqual(received, expected)) return false;
  // Verification runs before the runtime parses the body: read the timestamp from the (signed) raw bytes.
  const stamp = Timestamp.safeParse(parseJson(delivery.rawBody));
  return stamp.success && Math.abs(now - stamp.data.webhookTimestamp) <= MAX_CLOCK_SKEW_MS;
}

function parseJson(raw: Buffer): unknown {
  try {
    return JSON.parse(raw.toString('utf8')) as unknown;
  } catch {
    return undefined;
  }
}

export function signLinearPayload(rawBody: Buffer | string, secret: string): string {
  return createHmac('sha256', secret).update(rawBody).digest('hex');
}

export function parseLinearIssueCreated(body: unknown): IssueCreatedData | undefined {
  const payload = Payload.safeParse(body);
  if (!payload.success || payload.data.type !== 'Issue' || payload.data.action !== 'create') return undefined;
  const { data } = payload.data;
  const team = data.team?.key ?? null;
  return {
    id: data.id,
    identifier: data.identifier ?? (team && data.number !== undefined ? `${team}-${data.number}` : data.id),
    title: data.title,
    description: data.description ?? '',
    url: data.url ?? payload.data.url ?? '',
    priority: Math.round(data.priority ?? 0),
    team,
    state: data.state?.name ?? null,
    labels: data.labels?.map((label) => label.name) ?? [],
    createdAt: data.createdAt ?? payload.data.createdAt ?? new Date().toISOString(),
    actor: payload.data.actor?.name ?? null,
  };
}

export const issueCreated = defineTrigger({
  key: 'issueCreated',
  title: 'Linear issue created',
  description:
    'Starts the workflow when an issue is created in Linear (a Linear webhook; Linear-Signature and its timestamp are verified).',
  kind: 'webhook',
  senderEvents: ['Issues'],
  with: IssueCreatedFilters,
  data: IssueCreatedData,
  sample: {
    id: '2f8e3b8a-5d0e-4e4b-9a57-4a3c1c2e9d10',
    identifier: 'ENG-123',
    title: 'Checkout fails with a 500',
    description: 'Seen by 3 customers since the 2.4 release.',
    url: 'https://linear.app/acme/issue/ENG-123/checkout-fails-with-a-500',
    priority: 2,
    team: 'ENG',
    state: 'Triage',
    labels: ['bug'],
    createdAt: '2026-12-04T09:30:00.000Z',
    actor: 'Ana Silva',
  } satisfies IssueCreatedData,
  verify: (delivery, secret) => verifyLinearDelivery(delivery, secret),
  deliveryId: (delivery) => header(delivery, 'linear-delivery'),
  parse: (delivery) => parseLinearIssueCreated(delivery.body),
  matches(filters, data) {
    const parsed = IssueCreatedData.safeParse(data);
    if (!parsed.success) return false;
    const issue = parsed.data;
    if (filters.teams && !filters.teams.includes(issue.team ?? '')) return false;
    if (filters.labels && !filters.labels.some((label) => issue.labels.includes(label))) return false;
    if (filters.maxPriority !== undefined && (issue.priority === 0 || issue.priority > filters.maxPriority))
      return false;
    return true;
  },
});
