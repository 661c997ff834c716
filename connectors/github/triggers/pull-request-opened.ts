import { z } from 'zod';
import { defineTrigger } from '../../sdk/define.ts';
import { githubHookSubscription } from '../hook-subscription.ts';
import { githubWebhookDelivery } from '../webhook.ts';

export const PullRequestOpenedFilters = z.strictObject({
  repository: z
    .string()
    .regex(/^[A-Za-z0-9-]+\/[A-Za-z0-9._-]+$/, 'owner/name')
    .optional()
    .describe('Only pull requests in this repository, as "owner/name".'),
  baseBranch: z.string().min(1).optional().describe('Only pull requests into this branch, e.g. "main".'),
  includeDrafts: z.boolean().default(true).describe('Also fire for draft pull requests (default true).'),
});
export type PullRequestOpenedFilters = z.infer<typeof PullRequestOpenedFilters>;

export const PullRequestOpenedData = z.object({
  repository: z.string().describe('"owner/name".'),
  owner: z.string(),
  repo: z.string(),
  pullRequest: z.object({
    number: z.number().int(),
    title: z.string(),
    body: z.string(),
    url: z.string(),
    author: z.string(),
    draft: z.boolean(),
    headBranch: z.string(),
    baseBranch: z.string(),
  }),
  sender: z.string(),
});
export type PullRequestOpenedData = z.infer<typeof PullRequestOpenedData>;

export const pullRequestOpened = defineTrigger({
  key: 'pullRequestOpened',
  title: 'GitHub pull request opened',
  description:
    'Starts the workflow when a pull request is opened in a GitHub repository (webhook, signature verified).',
  kind: 'webhook',
  senderEvents: ['Pull requests'],
  data: PullRequestOpenedData,
  verify: githubWebhookDelivery.verify,
  deliveryId: githubWebhookDelivery.deliveryId,
  subscription: githubHookSubscription('pullRequestOpened', ['pull_request']),
  parse(delivery) {
    const event = githubWebhookDelivery.event(delivery);
    return event?.trigger === 'pullRequestOpened' ? event.data : undefined;
  },
  with: PullRequestOpenedFilters,
  sample: {
    repository: 'octo-org/hello-world',
    owner: 'octo-org',
    repo: 'hello-world',
    pullRequest: {
      number: 7,
      title: 'Fix checkout rounding',
      body: 'Closes #42',
      url: 'https://github.com/octo-org/hello-world/pull/7',
      author: 'octocat',
      draft: false,
      headBranch: 'fix-rounding',
      baseBranch: 'main',
    },
    sender: 'octocat',
  } satisfies PullRequestOpenedData,
  matches(filters, data) {
    const parsed = PullRequestOpenedData.safeParse(data);
    if (!parsed.success) return false;
    if (filters.repository && filters.repository.toLowerCase() !== parsed.data.repository.toLowerCase())
      return false;
    if (filters.baseBranch && filters.baseBranch !== parsed.data.pullRequest.baseBranch) return false;
    if (!filters.includeDrafts && parsed.data.pullRequest.draft) return false;
    return true;
  },
});
