import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { authorizationWireSecrets } from '../sdk/credential-secrets.ts';
import { defineConnector } from '../sdk/define.ts';
import { createRestClient, type RestClient } from '../sdk/rest/index.ts';
import { addComment } from './actions/add-comment.ts';
import { createTask } from './actions/create-task.ts';
import { getTask } from './actions/get-task.ts';
import { updateTask } from './actions/update-task.ts';
import { AsanaCredential, asanaApi, DataEnvelope } from './client.ts';
import { taskCreated } from './triggers/task-created.ts';

export const asanaConnector = defineConnector<AsanaCredential, RestClient>({
  id: 'asana',
  version: '1.0.0',
  title: 'Asana',
  description:
    'Create, update, read and comment on Asana tasks (REST API 1.0); start workflows on new tasks in a project.',
  credential: {
    type: 'asana',
    schema: AsanaCredential,
    howToGet:
      'In Asana: My settings → Apps → Developer apps (or https://app.asana.com/0/my-apps) → Create new token, then `vmesh credentials set asana --type asana` (the bare token on stdin is recognised).',
    fromToken: (token) => ({ token }),
    wireSecrets: (credential: AsanaCredential) => authorizationWireSecrets(credential.token, ['Bearer']),
  },
  // Asana allows 150 requests per minute on free workspaces (1,500 on paid ones).
  rateLimit: { requests: 150, perSeconds: 60, burst: 15 },
  createClient: ({ credential, env }) => createRestClient(asanaApi, { credential, env }),
  async testCredential({ client, signal }) {
    const me = z
      .object({ name: z.string() })
      .loose()
      .parse(DataEnvelope.parse((await client.send({ method: 'GET', path: '/users/me' }, signal)).body).data);
    return `Asana accepts it: the token is ${me.name}’s.`;
  },
  actions: [createTask, updateTask, addComment, getTask],
  triggers: [taskCreated],
  docPath: fileURLToPath(new URL('./doc.md', import.meta.url)),
});
