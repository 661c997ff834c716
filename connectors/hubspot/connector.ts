import { fileURLToPath } from 'node:url';
import { oauth2Style } from '../sdk/auth/oauth2.ts';
import { authorizationWireSecrets } from '../sdk/credential-secrets.ts';
import { defineConnector } from '../sdk/define.ts';
import { createRestClient, type RestClient } from '../sdk/rest/index.ts';
import { addNote } from './actions/add-note.ts';
import {
  createCompany,
  createContact,
  createDeal,
  searchCompanies,
  searchContacts,
  searchDeals,
  updateCompany,
  updateContact,
  updateDeal,
} from './actions/crm-actions.ts';
import { type HubspotCredential, HubspotToken, hubspotApi } from './client.ts';
import { hubspotOAuthProvider } from './oauth-provider.ts';
import { contactCreated } from './triggers/contact-created.ts';

export const hubspotConnector = defineConnector<HubspotCredential, RestClient>({
  id: 'hubspot',
  version: '1.0.0',
  title: 'HubSpot',
  description:
    'Create, update and search HubSpot contacts, companies and deals, add notes to them; start workflows when a contact is created (CRM API v3).',
  credential: {
    type: 'hubspot',
    schema: HubspotToken,
    howToGet:
      'In HubSpot: Settings → Integrations → Private apps → Create a private app with the scopes crm.objects.contacts/companies/deals .read and .write, copy its access token, then `vmesh credentials set hubspot --type hubspot` (the bare token on stdin is recognised). Or connect a public app: `vmesh credentials connect hubspot --type oauth2 --provider hubspot`.',
    fromToken: (token) => ({ token }),
    wireSecrets: (credential: HubspotToken) => authorizationWireSecrets(credential.token, ['Bearer']),
    alternatives: [oauth2Style],
  },
  oauthProviders: [hubspotOAuthProvider],
  // Private apps on Free/Starter: 100 requests per 10 seconds (search: 5 per second).
  rateLimit: { requests: 100, perSeconds: 10, burst: 20 },
  createClient: ({ credential, env }) => createRestClient(hubspotApi, { credential, env }),
  async testCredential({ client, signal }) {
    await client.send({ method: 'GET', path: '/crm/v3/objects/contacts', query: { limit: 1 } }, signal);
    return 'HubSpot accepts the token (it can read contacts).';
  },
  actions: [
    createContact,
    updateContact,
    searchContacts,
    createCompany,
    updateCompany,
    searchCompanies,
    createDeal,
    updateDeal,
    searchDeals,
    addNote,
  ],
  triggers: [contactCreated],
  docPath: fileURLToPath(new URL('./doc.md', import.meta.url)),
});
