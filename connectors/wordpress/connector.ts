import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { basicAuthWireSecrets } from '../sdk/credential-secrets.ts';
import { defineConnector } from '../sdk/define.ts';
import type { RestClient } from '../sdk/rest/index.ts';
import { createPost } from './actions/create-post.ts';
import { listPosts } from './actions/list-posts.ts';
import { updatePost } from './actions/update-post.ts';
import { uploadMedia } from './actions/upload-media.ts';
import { createWordpressClient, WordpressCredential } from './client.ts';

const Me = z.object({ id: z.number().int(), name: z.string(), slug: z.string().optional() });

export const wordpressConnector = defineConnector<WordpressCredential, RestClient>({
  id: 'wordpress',
  version: '1.0.0',
  title: 'WordPress',
  description:
    'Create, update and list posts and upload media on a self-hosted WordPress site (REST API wp/v2, Application Passwords).',
  credential: {
    type: 'wordpress',
    schema: WordpressCredential,
    howToGet:
      'In WordPress (5.6+, over https): Users → Profile → Application Passwords → name it "VelocityMesh" → Add, copy the password once, then `vmesh credentials set blog --type wordpress` with {"siteUrl":"https://blog.example.com","username":"ana","applicationPassword":"abcd EFGH …"}. The user needs the Author role (Editor to change others’ posts).',
    wireSecrets: (credential: WordpressCredential) =>
      basicAuthWireSecrets(credential.username, credential.applicationPassword),
    publicFields: ['siteUrl', 'username'],
  },
  // WordPress documents no request limit; a shared host blocks bursts, so stay gentle.
  rateLimit: { requests: 5, perSeconds: 1, burst: 10 },
  createClient: createWordpressClient,
  async testCredential({ client, signal }) {
    const me = Me.parse(
      (await client.send({ method: 'GET', path: '/users/me', query: { context: 'edit' } }, signal)).body,
    );
    return `WordPress accepts the application password: signed in as ${me.name}.`;
  },
  actions: [createPost, updatePost, listPosts, uploadMedia],
  triggers: [],
  docPath: fileURLToPath(new URL('./doc.md', import.meta.url)),
});
