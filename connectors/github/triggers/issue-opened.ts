import { z } from 'zod';
import { defineTrigger } from '../../sdk/define.ts';
import { githubHookSubscription } from '../hook-subscription.ts';
import { githubWebhookDelivery } from '../webhook.ts';

export const IssueOpenedFilters = z.strictObject({
  repository: z
    .string()
    .regex(/^[A-Za-z0-9-]+\/[A-Za-z0-9._-]+$/, 'owner/name')
    .optional()
    .describe('Only issues in this repository, as "owner/name". Default: any repository the webhook is on.'),
  labels: z
    .array(z.string().min(1))
    .optional()
    .describe('Only issues opened with at least one of these labels.'),
});
export type IssueOpenedFilters = z.infer<typeof IssueOpenedFilters>;

export const IssueOpenedData = z.object({
  repository: z.string().describe('"owner/name".'),
  owner: z.string().describe('Repository owner.'),
  repo: z.string().describe('Repository name.'),
  issue: z.object({
    number: z.number().int(),
    title: z.string(),
    body: z.string(),
    url: z.string(),
    labels: z.array(z.string()),
    author: z.string(),
  }),
  sender: z.string().describe('Login of who opened it.'),
});
export type IssueOpenedData = z.infer<typeof IssueOpenedData>;

export const issueOpened = defineTrigger({
  key: 'issueOpened',
  title: 'GitHub issue opened',
  description:
    'Starts the workflow when an issue is opened in a GitHub repository (webhook, signature verified).',
  kind: 'webhook',
  senderEvents: ['Issues'],
  data: IssueOpenedData,
  verify: githubWebhookDelivery.verify,
  deliveryId: githubWebhookDelivery.deliveryId,
  subscription: githubHookSubscription('issueOpened', ['issues']),
  parse(delivery) {
    const event = githubWebhookDelivery.event(delivery);
    return event?.trigger === 'issueOpened' ? event.data : undefined;
  },
  with: IssueOpenedFilters,
  sample: {
    repository: 'octo-org/hello-world',
    owner: 'octo-org',
    repo: 'hello-world',
    issue: {
      number: 42,
      title: 'Checkout fails with a 500',
      body: 'Steps to reproduce: …',
      url: 'https://github.com/octo-org/hello-world/issues/42',
      labels: ['bug'],
      author: 'octocat',
    },
    sender: 'octocat',
  } satisfies IssueOpenedData,
  matches(filters, data) {
    const parsed = IssueOpenedData.safeParse(data);
    if (!parsed.success) return false;
    if (filters.repository && filters.repository.toLowerCase() !== parsed.data.repository.toLowerCase())
      return false;
    if (filters.labels && !filters.labels.some((label) => parsed.data.issue.labels.includes(label)))
      return false;
    return true;
  },
});
