import { fileURLToPath } from 'node:url';
import { authorizationWireSecrets } from '../sdk/credential-secrets.ts';
import { defineConnector } from '../sdk/define.ts';
import { addComment } from './actions/add-comment.ts';
import { addLabels } from './actions/add-labels.ts';
import { createIssue } from './actions/create-issue.ts';
import { listIssues } from './actions/list-issues.ts';
import { createGithubClient, type GithubClient, GithubCredential, toGithubError } from './client.ts';
import { githubOAuthProvider } from './oauth-provider.ts';
import { issueOpened } from './triggers/issue-opened.ts';
import { pullRequestOpened } from './triggers/pull-request-opened.ts';

export const githubConnector = defineConnector<GithubCredential, GithubClient>({
  id: 'github',
  version: '1.0.0',
  title: 'GitHub',
  description:
    'Create, comment on, label and list GitHub issues; start workflows when issues or pull requests are opened.',
  credential: {
    type: 'github',
    schema: GithubCredential,
    howToGet:
      'Create a fine-grained personal access token (github.com/settings/personal-access-tokens) for the repositories with "Issues: read and write" (and "Pull requests: read" for PR triggers, "Webhooks: read and write" for triggers that register their webhook; classic tokens: the admin:repo_hook scope), then store it.',
    fromToken: (token) => ({ token }),
    // Octokit sends `token <t>` for tokens and `bearer <t>` for JWTs.
    wireSecrets: (credential: GithubCredential) =>
      authorizationWireSecrets(credential.token, ['token', 'bearer', 'Bearer']),
  },
  oauthProviders: [githubOAuthProvider],
  createClient: createGithubClient,
  async testCredential({ client }) {
    try {
      const { data } = await client.rest.users.getAuthenticated();
      return `GitHub accepts it: signed in as ${data.login}.`;
    } catch (error) {
      throw toGithubError(error, 'GET /user');
    }
  },
  actions: [createIssue, addComment, addLabels, listIssues],
  triggers: [issueOpened, pullRequestOpened],
  docPath: fileURLToPath(new URL('./doc.md', import.meta.url)),
});
