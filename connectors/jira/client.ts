import { z } from 'zod';
import { bindAuth } from '../sdk/auth/auth-style.ts';
import { basicStyle } from '../sdk/auth/header-styles.ts';
import type { RestApi, VendorError } from '../sdk/rest/index.ts';
import { adfToText } from './adf.ts';

export const JiraCredential = z.strictObject({
  site: z
    .string()
    .regex(
      /^https:\/\/[a-z0-9][a-z0-9-]{0,62}\.atlassian\.net\/?$/i,
      'your Jira Cloud site, e.g. https://acme.atlassian.net',
    )
    .describe('The Jira Cloud site, e.g. "https://acme.atlassian.net".'),
  email: z.email().describe('The Atlassian account email the API token belongs to.'),
  apiToken: z
    .string()
    .min(16)
    .max(512)
    .describe('An API token from https://id.atlassian.com/manage-profile/security/api-tokens.'),
});
export type JiraCredential = z.infer<typeof JiraCredential>;

/** The REST v3 root of the credential's site. */
export function jiraApiUrl(credential: JiraCredential | undefined): string {
  const site = credential?.site.replace(/\/+$/, '') ?? 'https://your-site.atlassian.net';
  return `${site}/rest/api/3`;
}

const JiraErrorBody = z.object({
  errorMessages: z.array(z.string()).max(100).default([]),
  errors: z.record(z.string(), z.string()).default({}),
});

const FIELD_HINTS: Record<string, string> = {
  project: 'projectKey must be the key of a project this account can create issues in (e.g. "SUP").',
  issuetype: 'issueType must be one of the project’s issue types, e.g. "Task", "Bug" or "Story".',
  summary: 'Give a summary of one line, at most 255 characters.',
  priority: 'priority must be one of the site’s priorities, e.g. "High" or "Medium".',
  assignee:
    'assigneeAccountId must be the Atlassian account id of someone who may be assigned in this project.',
  parent: 'parentKey must be the key of an epic or a parent issue in the same project.',
  labels: 'Labels may not contain spaces.',
};

/**
 * Jira's error body `{ errorMessages: [...], errors: { field: message } }` read into one message, naming each field
 * it refuses and what to change.
 */
export function jiraVendorError(body: unknown): VendorError | undefined {
  const parsed = JiraErrorBody.safeParse(body);
  if (!parsed.success) return undefined;
  const fields = Object.entries(parsed.data.errors).slice(0, 20);
  const messages = [
    ...parsed.data.errorMessages.slice(0, 10),
    ...fields.map(([field, message]) => `${field}: ${message}`),
  ];
  if (messages.length === 0) return undefined;
  const hints = fields.flatMap(([field]) => (FIELD_HINTS[field] ? [FIELD_HINTS[field]] : []));
  return {
    message: messages.join('; '),
    ...(fields.length > 0 ? { vendorCode: `field:${fields.map(([field]) => field).join(',')}` } : {}),
    ...(hints.length > 0
      ? { hint: hints.join(' ') }
      : fields.length > 0
        ? {
            hint: `Change the field${fields.length > 1 ? 's' : ''} ${fields.map(([field]) => field).join(', ')} as the message says.`,
          }
        : {}),
  };
}

export function jiraApi(credential: JiraCredential | undefined): RestApi<JiraCredential> {
  return {
    connector: 'jira',
    baseUrl: jiraApiUrl(credential),
    auth: (given) => bindAuth(basicStyle, { username: given.email, password: given.apiToken }),
    vendorError: (body) => jiraVendorError(body),
    hints: {
      401: 'Jira refused the email and API token (revoked, expired or mistyped): create a token at https://id.atlassian.com/manage-profile/security/api-tokens and store it with `vmesh credentials set NAME --type jira`.',
      403: 'The account has no permission for this in Jira (browse, create or transition in the project): ask a Jira admin to add it to the project role.',
      404: 'Check the issue key (e.g. "SUP-42") and the site: the issue does not exist or this account cannot see it.',
    },
  };
}

/** The browse link of an issue on the site its API link (`self`) is on. */
export function browseUrl(self: string | undefined, key: string): string {
  try {
    return new URL(`/browse/${encodeURIComponent(key)}`, new URL(self ?? '')).href;
  } catch {
    return `/browse/${encodeURIComponent(key)}`;
  }
}

const NamedField = z.object({ name: z.string() }).loose().nullable().optional();
const User = z
  .object({ accountId: z.string(), displayName: z.string().optional() })
  .loose()
  .nullable()
  .optional();

export const JiraIssueBody = z.object({
  id: z.string(),
  key: z.string(),
  self: z.string().optional(),
  fields: z
    .object({
      summary: z.string().optional(),
      description: z.unknown().optional(),
      status: NamedField,
      issuetype: NamedField,
      priority: NamedField,
      labels: z.array(z.string()).optional(),
      assignee: User,
      reporter: User,
      project: z.object({ key: z.string() }).loose().optional(),
      created: z.string().optional(),
      updated: z.string().optional(),
      duedate: z.string().nullable().optional(),
    })
    .loose()
    .default({}),
});

export const Issue = z.object({
  id: z.string().describe('Jira’s numeric issue id.'),
  key: z.string().describe('The issue key, e.g. "SUP-42".'),
  url: z.string().describe('Link to the issue in Jira.'),
  summary: z.string().describe('The summary (title).'),
  description: z.string().describe('The description as plain text.'),
  status: z.string().nullable().describe('Status name, e.g. "In Progress".'),
  issueType: z.string().nullable().describe('Issue type name, e.g. "Bug".'),
  priority: z.string().nullable().describe('Priority name.'),
  labels: z.array(z.string()).describe('Labels.'),
  projectKey: z.string().nullable().describe('The project key.'),
  assignee: z.string().nullable().describe('Display name of the assignee, or null.'),
  created: z.string().nullable().describe('When it was created (ISO).'),
  updated: z.string().nullable().describe('When it last changed (ISO).'),
});
export type Issue = z.infer<typeof Issue>;

export function toIssue(raw: unknown): Issue {
  const issue = JiraIssueBody.parse(raw);
  const { fields } = issue;
  return {
    id: issue.id,
    key: issue.key,
    url: browseUrl(issue.self, issue.key),
    summary: fields.summary ?? '',
    description: adfToText(fields.description ?? null),
    status: fields.status?.name ?? null,
    issueType: fields.issuetype?.name ?? null,
    priority: fields.priority?.name ?? null,
    labels: fields.labels ?? [],
    projectKey: fields.project?.key ?? null,
    assignee: fields.assignee?.displayName ?? fields.assignee?.accountId ?? null,
    created: fields.created ?? null,
    updated: fields.updated ?? null,
  };
}

export const IssueKey = z
  .string()
  .regex(/^[A-Z][A-Z0-9_]{0,9}-\d{1,10}$|^\d{1,18}$/, 'an issue key such as "SUP-42" (or its numeric id)')
  .describe('The issue key, e.g. "SUP-42" (or the numeric issue id).');
