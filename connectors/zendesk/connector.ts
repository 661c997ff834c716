import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { ConnectorError } from '../sdk/connector-error.ts';
import { authorizationWireSecrets, basicAuthWireSecrets } from '../sdk/credential-secrets.ts';
import { defineConnector } from '../sdk/define.ts';
import { createRestClient, type RestClient } from '../sdk/rest/index.ts';
import { addComment } from './actions/add-comment.ts';
import { createTicket } from './actions/create-ticket.ts';
import { searchTickets } from './actions/search-tickets.ts';
import { updateTicket } from './actions/update-ticket.ts';
import { tokenUser, ZendeskCredential, zendeskApi } from './client.ts';
import { ticketCreated } from './triggers/ticket-created.ts';

export const zendeskConnector = defineConnector<ZendeskCredential, RestClient>({
  id: 'zendesk',
  version: '1.0.0',
  title: 'Zendesk',
  description:
    'Create, update, reply to and search Zendesk Support tickets (API v2); start workflows on new tickets.',
  credential: {
    type: 'zendesk',
    schema: ZendeskCredential,
    howToGet:
      'In Zendesk Admin Center → Apps and integrations → Zendesk API, enable token access and add an API token, then `vmesh credentials set zendesk --type zendesk` with {"subdomain":"acme","email":"agent@acme.com","apiToken":"…"} (or {"subdomain":"acme","accessToken":"…"} for an OAuth token).',
    publicFields: ['subdomain', 'email'],
    wireSecrets: (credential: ZendeskCredential) => [
      ...(credential.apiToken && credential.email
        ? basicAuthWireSecrets(tokenUser(credential.email), credential.apiToken)
        : []),
      ...(credential.accessToken ? authorizationWireSecrets(credential.accessToken, ['Bearer']) : []),
    ],
  },
  // Zendesk Support allows 200 requests per minute on its smallest plans (up to 700 on Enterprise).
  rateLimit: { requests: 200, perSeconds: 60, burst: 20 },
  createClient: ({ credential, env }) => createRestClient(zendeskApi(credential), { credential, env }),
  async testCredential({ client, signal }) {
    const me = z
      .object({
        user: z
          .object({
            name: z.string().optional(),
            role: z.string().optional(),
            id: z.number().nullable().optional(),
          })
          .loose(),
      })
      .parse((await client.send({ method: 'GET', path: '/users/me.json' }, signal)).body);
    // Zendesk answers an unauthenticated /users/me with an anonymous user (id null) instead of a 401.
    if (me.user.id === null || me.user.id === undefined) {
      throw new ConnectorError({
        code: 'E_AUTH',
        message: 'zendesk: the credential was not accepted (Zendesk answered as an anonymous user).',
        retryable: false,
        hint: 'Check the email and API token (token access must be enabled in Admin Center), then store it again with `vmesh credentials set NAME --type zendesk`.',
      });
    }
    return `Zendesk accepts it: signed in as ${me.user.name ?? 'this agent'} (${me.user.role ?? 'agent'}).`;
  },
  actions: [createTicket, updateTicket, addComment, searchTickets],
  triggers: [ticketCreated],
  docPath: fileURLToPath(new URL('./doc.md', import.meta.url)),
});
