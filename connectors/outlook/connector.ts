import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { checkMicrosoftCredential, type GraphCredential, graphCredential } from '../microsoft/graph.ts';
import { microsoftOAuthProvider } from '../microsoft/oauth-provider.ts';
import { defineConnector } from '../sdk/define.ts';
import { createRestClient, type RestClient } from '../sdk/rest/index.ts';
import { createEvent } from './actions/create-event.ts';
import { listMessages } from './actions/list-messages.ts';
import { sendMail } from './actions/send-mail.ts';
import { OUTLOOK_SCOPES, outlookApi } from './client.ts';
import { newEmail } from './triggers/new-email.ts';

export const outlookConnector = defineConnector<GraphCredential, RestClient>({
  id: 'outlook',
  version: '1.0.0',
  title: 'Outlook',
  description:
    'Send Outlook / Microsoft 365 mail with attachments, list and search the mailbox, create calendar events and start workflows on new mail (Microsoft Graph v1.0).',
  credential: graphCredential(OUTLOOK_SCOPES, 'mail and calendar'),
  // The Microsoft identity platform preset, shared with teams and http.request (declared once, here).
  oauthProviders: [microsoftOAuthProvider],
  // Outlook's Graph limit: 10 000 requests per 10 minutes per app and mailbox, at most 4 at once.
  rateLimit: { requests: 10_000, perSeconds: 600, burst: 4 },
  createClient: ({ credential, env }) => {
    checkMicrosoftCredential('outlook', credential, OUTLOOK_SCOPES);
    return createRestClient(outlookApi, { credential, env });
  },
  async testCredential({ client, signal }) {
    const { body } = await client.send(
      { method: 'GET', path: '/me', query: { $select: 'mail,userPrincipalName' } },
      signal,
    );
    const me = z
      .object({ mail: z.string().nullable().optional(), userPrincipalName: z.string().optional() })
      .safeParse(body);
    return `Microsoft Graph accepts the credential: mailbox ${me.success ? (me.data.mail ?? me.data.userPrincipalName ?? '?') : '?'}.`;
  },
  actions: [sendMail, listMessages, createEvent],
  triggers: [newEmail],
  docPath: fileURLToPath(new URL('./doc.md', import.meta.url)),
});
