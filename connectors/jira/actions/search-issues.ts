import { z } from 'zod';
import { Issue, toIssue } from '../client.ts';
import { rest } from '../kit.ts';

const PAGE_SIZE = 100;
const SearchPage = z.object({
  issues: z.array(z.unknown()).max(5000),
  nextPageToken: z.string().nullable().optional(),
  isLast: z.boolean().optional(),
});

const FIELDS = [
  'summary',
  'description',
  'status',
  'issuetype',
  'priority',
  'labels',
  'assignee',
  'project',
  'created',
  'updated',
];

export const searchIssues = rest.list({
  key: 'searchIssues',
  title: 'Search Jira issues with JQL',
  description:
    'Find Jira issues with a JQL query, e.g. open bugs of a project or issues updated today; pages through the results up to `limit`.',
  effect: 'read',
  idempotent: true,
  input: z.strictObject({
    jql: z
      .string()
      .min(1)
      .max(4000)
      .describe('A JQL query, e.g. "project = SUP AND status != Done ORDER BY created DESC".'),
    limit: z
      .number()
      .int()
      .min(1)
      .max(1000)
      .default(50)
      .describe('At most this many issues (1–1000, default 50).'),
  }),
  output: z.object({
    issues: z.array(Issue).describe('Matching issues in the order the JQL asks for.'),
    truncated: z.boolean().describe('True when more issues matched than `limit`.'),
  }),
  http: {
    method: 'POST',
    path: '/search/jql',
    json: (input) => ({ jql: input.jql, maxResults: Math.min(PAGE_SIZE, input.limit), fields: FIELDS }),
  },
  paginate: {
    style: 'cursor',
    cursorParam: 'nextPageToken',
    cursorIn: 'json',
    items: (body) => SearchPage.parse(body).issues,
    nextCursor: (body) => {
      const page = SearchPage.parse(body);
      return page.isLast === true ? undefined : page.nextPageToken;
    },
    maxItems: (input) => input.limit,
    maxPages: 20,
  },
  project: (collected) => ({ issues: collected.items.map(toIssue), truncated: collected.truncated }),
});
