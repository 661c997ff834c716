import { fileURLToPath } from 'node:url';
import { authorizationWireSecrets } from '../sdk/credential-secrets.ts';
import { defineConnector } from '../sdk/define.ts';
import { createRestClient, type RestClient } from '../sdk/rest/index.ts';
import { completeTask } from './actions/complete-task.ts';
import { createTask } from './actions/create-task.ts';
import { listTasks } from './actions/list-tasks.ts';
import { TodoistCredential, todoistApi } from './client.ts';

export const todoistConnector = defineConnector<TodoistCredential, RestClient>({
  id: 'todoist',
  version: '1.0.0',
  title: 'Todoist',
  description: 'Create, complete and list Todoist tasks (Todoist API v1, declarative REST actions).',
  credential: {
    type: 'todoist',
    schema: TodoistCredential,
    howToGet:
      'In Todoist: Settings → Integrations → Developer → copy the API token, then `vmesh credentials set todoist --type todoist` (the bare token on stdin is recognised).',
    fromToken: (token) => ({ token }),
    wireSecrets: (credential: TodoistCredential) => authorizationWireSecrets(credential.token, ['Bearer']),
  },
  // Todoist allows 1000 requests per user per 15 minutes.
  rateLimit: { requests: 1000, perSeconds: 900, burst: 50 },
  createClient: ({ credential, env }) => createRestClient(todoistApi, { credential, env }),
  async testCredential({ client, signal }) {
    await client.send({ method: 'GET', path: '/projects', query: { limit: 1 } }, signal);
    return 'Todoist accepts the token.';
  },
  actions: [createTask, completeTask, listTasks],
  triggers: [],
  docPath: fileURLToPath(new URL('./doc.md', import.meta.url)),
});
