import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { defineTrigger, type WebhookDelivery } from '../../sdk/define.ts';
import { Issue, toIssue } from '../client.ts';

export const IssueCreatedFilters = z.strictObject({
  projects: z
    .array(z.string().regex(/^[A-Z][A-Z0-9_]{0,9}$/, 'a project key such as "SUP"'))
    .max(100)
    .optional()
    .describe('Only issues of these project keys, e.g. ["SUP"]. Default: every project the webhook sends.'),
  issueTypes: z
    .array(z.string().min(1).max(60))
    .max(50)
    .optional()
    .describe('Only these issue types, e.g. ["Bug"].'),
  labels: z
    .array(z.string().min(1).max(255))
    .max(50)
    .optional()
    .describe('Only issues created with at least one of these labels.'),
});
export type IssueCreatedFilters = z.infer<typeof IssueCreatedFilters>;

export const IssueCreatedData = z.object({
  issue: Issue.describe('The new issue.'),
  createdBy: z
    .object({
      accountId: z.string().nullable().describe('Atlassian account id.'),
      displayName: z.string().nullable().describe('Display name.'),
    })
    .describe('Who created it.'),
  timestamp: z.string().describe('When Jira sent the event (ISO).'),
});
export type IssueCreatedData = z.infer<typeof IssueCreatedData>;

const Payload = z.object({
  webhookEvent: z.string(),
  timestamp: z.number().optional(),
  user: z.object({ accountId: z.string().optional(), displayName: z.string().optional() }).loose().optional(),
  issue: z.unknown(),
});

function header(delivery: WebhookDelivery, name: string): string | undefined {
  const value = delivery.headers[name];
  return typeof value === 'string' ? value : undefined;
}

/** Jira Cloud's `X-Hub-Signature: sha256=<hex HMAC-SHA256 of the raw body>` with the webhook's secret. */
export function verifyJiraSignature(rawBody: Buffer, given: string | undefined, secret: string): boolean {
  const match = /^sha256=([0-9a-f]{64})$/i.exec(given?.trim() ?? '');
  if (!match?.[1] || !secret) return false;
  const expected = createHmac('sha256', secret).update(rawBody).digest();
  const received = Buffer.from(match[1], 'hex');
  return received.length === expected.length && timingSafeEqual(received, expected);
}

export function signJiraPayload(rawBody: Buffer | string, secret: string): string {
  return `sha256=${createHmac('sha256', secret).update(rawBody).digest('hex')}`;
}

export function parseJiraIssueCreated(body: unknown): IssueCreatedData | undefined {
  const payload = Payload.safeParse(body);
  if (!payload.success || payload.data.webhookEvent !== 'jira:issue_created') return undefined;
  let issue: Issue;
  try {
    issue = toIssue(payload.data.issue);
  } catch {
    return undefined;
  }
  const { user, timestamp } = payload.data;
  return {
    issue,
    createdBy: { accountId: user?.accountId ?? null, displayName: user?.displayName ?? null },
    timestamp: new Date(timestamp ?? Date.now()).toISOString(),
  };
}

export const issueCreated = defineTrigger({
  key: 'issueCreated',
  title: 'Jira issue created',
  description:
    'Starts the workflow when an issue is created in Jira Cloud (an admin webhook with a secret; the X-Hub-Signature is verified).',
  kind: 'webhook',
  senderEvents: ['Issue: created'],
  with: IssueCreatedFilters,
  data: IssueCreatedData,
  sample: {
    issue: {
      id: '10042',
      key: 'SUP-42',
      url: 'https://acme.atlassian.net/browse/SUP-42',
      summary: 'Checkout fails with a 500',
      description: 'Steps to reproduce: …',
      status: 'To Do',
      issueType: 'Bug',
      priority: 'High',
      labels: ['checkout'],
      projectKey: 'SUP',
      assignee: null,
      created: '2026-12-04T09:30:00.000+0000',
      updated: '2026-12-04T09:30:00.000+0000',
    },
    createdBy: { accountId: '5b10ac8d82e05b22cc7d4ef5', displayName: 'Ana Silva' },
    timestamp: '2026-12-04T09:30:00.000Z',
  } satisfies IssueCreatedData,
  verify: (delivery, secret) =>
    verifyJiraSignature(delivery.rawBody, header(delivery, 'x-hub-signature'), secret),
  deliveryId: (delivery) => header(delivery, 'x-atlassian-webhook-identifier'),
  parse: (delivery) => parseJiraIssueCreated(delivery.body),
  matches(filters, data) {
    const parsed = IssueCreatedData.safeParse(data);
    if (!parsed.success) return false;
    const { issue } = parsed.data;
    if (filters.projects && !filters.projects.includes(issue.projectKey ?? '')) return false;
    const type = issue.issueType?.toLowerCase();
    if (filters.issueTypes && !filters.issueTypes.some((wanted) => wanted.toLowerCase() === type))
      return false;
    if (filters.labels && !filters.labels.some((label) => issue.labels.includes(label))) return false;
    return true;
  },
});
