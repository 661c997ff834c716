import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { basicAuthWireSecrets } from '../sdk/credential-secrets.ts';
import { defineConnector } from '../sdk/define.ts';
import { createRestClient, type RestClient } from '../sdk/rest/index.ts';
import { addComment } from './actions/add-comment.ts';
import { createIssue } from './actions/create-issue.ts';
import { searchIssues } from './actions/search-issues.ts';
import { transitionIssue } from './actions/transition-issue.ts';
import { updateIssue } from './actions/update-issue.ts';
import { JiraCredential, jiraApi } from './client.ts';
import { issueCreated } from './triggers/issue-created.ts';

export const jiraConnector = defineConnector<JiraCredential, RestClient>({
  id: 'jira',
  version: '1.0.0',
  title: 'Jira',
  description:
    'Create, update, comment on, transition and search Jira Cloud issues (REST v3); start workflows on new issues.',
  credential: {
    type: 'jira',
    schema: JiraCredential,
    howToGet:
      'Create an API token at https://id.atlassian.com/manage-profile/security/api-tokens, then `vmesh credentials set jira --type jira` with {"site":"https://acme.atlassian.net","email":"you@acme.com","apiToken":"…"}.',
    publicFields: ['site', 'email'],
    wireSecrets: (credential: JiraCredential) => basicAuthWireSecrets(credential.email, credential.apiToken),
  },
  // Jira Cloud limits by cost per tenant and user rather than a fixed count; ~10 requests per second per user
  // stays clear of its 429s (which come with Retry-After).
  rateLimit: { requests: 10, perSeconds: 1, burst: 20 },
  createClient: ({ credential, env }) => createRestClient(jiraApi(credential), { credential, env }),
  async testCredential({ client, signal }) {
    const me = z
      .object({ displayName: z.string().optional(), emailAddress: z.string().optional() })
      .loose()
      .parse((await client.send({ method: 'GET', path: '/myself' }, signal)).body);
    return `Jira accepts it: signed in as ${me.displayName ?? me.emailAddress ?? 'this account'}.`;
  },
  actions: [createIssue, updateIssue, addComment, transitionIssue, searchIssues],
  triggers: [issueCreated],
  docPath: fileURLToPath(new URL('./doc.md', import.meta.url)),
});
