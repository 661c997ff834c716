import { fileURLToPath } from 'node:url';
import { authorizationWireSecrets } from '../sdk/credential-secrets.ts';
import { defineConnector } from '../sdk/define.ts';
import { createRestClient, type RestClient } from '../sdk/rest/index.ts';
import { listScheduledEvents } from './actions/list-scheduled-events.ts';
import { CalendlyCredential, calendlyApi, currentUser } from './client.ts';
import { inviteeCreated } from './triggers/invitee-created.ts';

export const calendlyConnector = defineConnector<CalendlyCredential, RestClient>({
  id: 'calendly',
  version: '1.0.0',
  title: 'Calendly',
  description:
    'List meetings booked in Calendly and start workflows when someone books one (Calendly API v2, webhook subscriptions).',
  credential: {
    type: 'calendly',
    schema: CalendlyCredential,
    howToGet:
      'In Calendly: Integrations & apps → API and webhooks → Personal access tokens → Generate new token, then `vmesh credentials set calendly --type calendly` (the bare token on stdin is recognised). Webhooks need a paid plan.',
    fromToken: (token) => ({ token }),
    wireSecrets: (credential: CalendlyCredential) => authorizationWireSecrets(credential.token, ['Bearer']),
  },
  // Calendly's per-token limit depends on the plan; this stays under the lowest one.
  rateLimit: { requests: 100, perSeconds: 60, burst: 20 },
  createClient: ({ credential, env }) => createRestClient(calendlyApi, { credential, env }),
  async testCredential({ client, signal }) {
    const me = await currentUser(client, signal);
    return `Calendly accepts the token: ${me.name ?? me.uri}.`;
  },
  actions: [listScheduledEvents],
  triggers: [inviteeCreated],
  docPath: fileURLToPath(new URL('./doc.md', import.meta.url)),
});
