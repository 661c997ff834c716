import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import type { WebhookDelivery } from '../sdk/define.ts';
import type { IssueOpenedData } from './triggers/issue-opened.ts';
import type { PullRequestOpenedData } from './triggers/pull-request-opened.ts';

/**
 * Checks GitHub's `X-Hub-Signature-256` header (`sha256=<hex HMAC-SHA256 of the raw body>`) in constant time.
 * The raw body must be the exact bytes received, before any JSON parsing.
 */
export function verifyGithubSignature(rawBody: Buffer, header: string | undefined, secret: string): boolean {
  if (!header || !secret) return false;
  const match = /^sha256=([0-9a-f]{64})$/i.exec(header.trim());
  if (!match?.[1]) return false;
  const expected = createHmac('sha256', secret).update(rawBody).digest();
  const given = Buffer.from(match[1], 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** Signs a body as GitHub does (for tests and for replaying deliveries). */
export function signGithubPayload(rawBody: Buffer | string, secret: string): string {
  return `sha256=${createHmac('sha256', secret).update(rawBody).digest('hex')}`;
}

const Repository = z.object({
  full_name: z.string(),
  name: z.string(),
  owner: z.object({ login: z.string() }),
});
const User = z.object({ login: z.string() });
const Label = z.union([z.string(), z.object({ name: z.string() })]);

const IssuesOpenedPayload = z.object({
  action: z.literal('opened'),
  issue: z.object({
    number: z.number().int(),
    title: z.string(),
    body: z.string().nullable().optional(),
    html_url: z.string(),
    labels: z.array(Label).default([]),
    user: User,
  }),
  repository: Repository,
  sender: User,
});

const PullRequestOpenedPayload = z.object({
  action: z.literal('opened'),
  pull_request: z.object({
    number: z.number().int(),
    title: z.string(),
    body: z.string().nullable().optional(),
    html_url: z.string(),
    draft: z.boolean().default(false),
    user: User,
    head: z.object({ ref: z.string() }),
    base: z.object({ ref: z.string() }),
  }),
  repository: Repository,
  sender: User,
});

export type GithubTriggerEvent =
  | { trigger: 'issueOpened'; data: IssueOpenedData }
  | { trigger: 'pullRequestOpened'; data: PullRequestOpenedData };

/**
 * Turns a verified GitHub webhook delivery (`X-GitHub-Event` header + parsed JSON body) into trigger data.
 * Returns undefined for events and actions no trigger listens to (answer those 204, not an error).
 */
export function parseGithubWebhook(
  event: string | undefined,
  payload: unknown,
): GithubTriggerEvent | undefined {
  if (event === 'issues') {
    const parsed = IssuesOpenedPayload.safeParse(payload);
    if (!parsed.success) return undefined;
    const { issue, repository, sender } = parsed.data;
    return {
      trigger: 'issueOpened',
      data: {
        repository: repository.full_name,
        owner: repository.owner.login,
        repo: repository.name,
        issue: {
          number: issue.number,
          title: issue.title,
          body: issue.body ?? '',
          url: issue.html_url,
          labels: issue.labels.map((label) => (typeof label === 'string' ? label : label.name)),
          author: issue.user.login,
        },
        sender: sender.login,
      },
    };
  }
  if (event === 'pull_request') {
    const parsed = PullRequestOpenedPayload.safeParse(payload);
    if (!parsed.success) return undefined;
    const { pull_request: pr, repository, sender } = parsed.data;
    return {
      trigger: 'pullRequestOpened',
      data: {
        repository: repository.full_name,
        owner: repository.owner.login,
        repo: repository.name,
        pullRequest: {
          number: pr.number,
          title: pr.title,
          body: pr.body ?? '',
          url: pr.html_url,
          author: pr.user.login,
          draft: pr.draft,
          headBranch: pr.head.ref,
          baseBranch: pr.base.ref,
        },
        sender: sender.login,
      },
    };
  }
  return undefined;
}

function headerValue(delivery: WebhookDelivery, name: string): string | undefined {
  const value = delivery.headers[name];
  return typeof value === 'string' ? value : undefined;
}

/**
 * What every GitHub webhook trigger shares: `X-Hub-Signature-256` checked against the workflow's hook secret
 * (which the user pastes into the webhook's "Secret" field) and `X-GitHub-Delivery` as the delivery id.
 */
export const githubWebhookDelivery = {
  verify: (delivery: WebhookDelivery, secret: string): boolean =>
    verifyGithubSignature(delivery.rawBody, headerValue(delivery, 'x-hub-signature-256'), secret),
  deliveryId: (delivery: WebhookDelivery): string | undefined => headerValue(delivery, 'x-github-delivery'),
  event: (delivery: WebhookDelivery): GithubTriggerEvent | undefined =>
    parseGithubWebhook(headerValue(delivery, 'x-github-event'), delivery.body),
};
