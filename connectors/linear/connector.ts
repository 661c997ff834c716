import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { OAuth2Credential, oauth2Style } from '../sdk/auth/oauth2.ts';
import { defineConnector } from '../sdk/define.ts';
import { createRestClient, graphqlErrorsOf, graphqlFailure, type RestClient } from '../sdk/rest/index.ts';
import { addComment } from './actions/add-comment.ts';
import { createIssue } from './actions/create-issue.ts';
import { updateIssue } from './actions/update-issue.ts';
import {
  authorizationOf,
  type LinearClientCredential,
  LinearCredential,
  linearApi,
  linearGraphql,
} from './client.ts';
import { linearOAuthProvider } from './oauth-provider.ts';
import { issueCreated } from './triggers/issue-created.ts';

const Viewer = z.object({
  data: z.object({ viewer: z.object({ name: z.string(), email: z.string().optional() }) }),
});

export const linearConnector = defineConnector<LinearClientCredential, RestClient>({
  id: 'linear',
  version: '1.0.0',
  title: 'Linear',
  description:
    'Create and update Linear issues and comment on them (GraphQL API); start workflows on new issues.',
  credential: {
    type: 'linear',
    schema: LinearCredential,
    howToGet:
      'In Linear: Settings → Security & access → Personal API keys → New key, then `vmesh credentials set linear --type linear` (the bare lin_api_… key on stdin is recognised); or connect a Linear OAuth app with `vmesh credentials connect linear --type oauth2 --provider linear` (the app from VMESH_OAUTH_LINEAR_CLIENT_ID/_CLIENT_SECRET).',
    fromToken: (token) => (token.startsWith('lin_api_') ? { apiKey: token } : { accessToken: token }),
    wireSecrets: (credential: LinearCredential) => [authorizationOf(credential)],
    alternatives: [oauth2Style],
    adopt: (type, credential): LinearClientCredential =>
      type === 'oauth2' ? { oauth2: OAuth2Credential.parse(credential) } : LinearCredential.parse(credential),
  },
  oauthProviders: [linearOAuthProvider],
  // Linear allows 1,500 requests per hour for an API key (and a complexity budget); 429-free below that.
  rateLimit: { requests: 1500, perSeconds: 3600, burst: 30 },
  createClient: ({ credential, env }) => createRestClient(linearApi, { credential, env }),
  async testCredential({ client, signal }) {
    const response = await client.send(
      { method: 'POST', path: linearGraphql.path, json: { query: 'query Viewer { viewer { name email } }' } },
      signal,
    );
    const errors = graphqlErrorsOf(response.body);
    if (errors.length > 0) throw graphqlFailure(linearGraphql, 'Viewer', errors, response.headers);
    return `Linear accepts it: signed in as ${Viewer.parse(response.body).data.viewer.name}.`;
  },
  actions: [createIssue, updateIssue, addComment],
  triggers: [issueCreated],
  docPath: fileURLToPath(new URL('./doc.md', import.meta.url)),
});
