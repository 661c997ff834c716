import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import type { BoundAuth } from '../sdk/auth/auth-style.ts';
import { oauth2Style } from '../sdk/auth/oauth2.ts';
import { authorizationWireSecrets } from '../sdk/credential-secrets.ts';
import { defineConnector } from '../sdk/define.ts';
import type { RestClient } from '../sdk/rest/index.ts';
import { createPost } from './actions/create-post.ts';
import { replyToPost } from './actions/reply-to-post.ts';
import { searchRecentPosts } from './actions/search-recent-posts.ts';
import { createXClient, XCredential, xAuthOf } from './client.ts';
import { xOAuthProvider } from './oauth-provider.ts';

const Me = z.object({ data: z.object({ id: z.string(), username: z.string() }) });

export const xConnector = defineConnector<BoundAuth, RestClient>({
  id: 'x',
  version: '1.0.0',
  title: 'X (Twitter)',
  description: 'Post, reply and search the last 7 days of posts on X (X API v2, OAuth 2.0 user context).',
  credential: {
    type: 'x',
    schema: XCredential,
    howToGet:
      'Best: `vmesh credentials connect NAME --type oauth2 --provider x` (register `<VMESH_PUBLIC_URL>/oauth/callback` as the callback of an X app with OAuth 2.0 on, type "Web App, Automated App or Bot", and set VMESH_OAUTH_X_CLIENT_ID/_CLIENT_SECRET): the token is renewed by itself. Or store an OAuth 2.0 user access token you obtained elsewhere with `vmesh credentials set NAME --type x` (it expires after 2 hours). An app-only bearer token cannot post.',
    fromToken: (token) => ({ token }),
    wireSecrets: (credential: XCredential) => authorizationWireSecrets(credential.token, ['Bearer']),
    alternatives: [oauth2Style],
    adopt: xAuthOf,
  },
  oauthProviders: [xOAuthProvider],
  // Per user: POST /2/tweets allows 100 per 15 minutes, search/recent 180 (lower tiers less); 429s wait for the reset.
  rateLimit: { requests: 100, perSeconds: 900, burst: 20 },
  createClient: createXClient,
  async testCredential({ client, signal }) {
    const me = Me.parse((await client.send({ method: 'GET', path: '/users/me' }, signal)).body);
    return `X accepts the token: signed in as @${me.data.username}.`;
  },
  actions: [createPost, replyToPost, searchRecentPosts],
  triggers: [],
  docPath: fileURLToPath(new URL('./doc.md', import.meta.url)),
});
