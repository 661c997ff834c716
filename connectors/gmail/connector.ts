import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { defineConnector } from '../sdk/define.ts';
import { createRestClient, type RestClient } from '../sdk/rest/index.ts';
import { addLabels } from './actions/add-labels.ts';
import { createDraft } from './actions/create-draft.ts';
import { downloadAttachment } from './actions/download-attachment.ts';
import { getEmail } from './actions/get-email.ts';
import { replyToEmail } from './actions/reply-to-email.ts';
import { searchEmails } from './actions/search-emails.ts';
import { sendEmail } from './actions/send-email.ts';
import { checkGoogleCredential, type GmailCredential, gmailApi, gmailCredential } from './client.ts';
import { newEmail } from './triggers/new-email.ts';

export const gmailConnector = defineConnector<GmailCredential, RestClient>({
  id: 'gmail',
  version: '1.0.0',
  title: 'Gmail',
  description:
    'Send, reply to, search, read, label and draft Gmail messages and start workflows on new mail (Gmail API v1, a Google oauth2 credential).',
  // The `google` provider stays declared where it is (connectors/http/oauth-providers.ts): ids are unique.
  credential: gmailCredential,
  // Gmail allows 250 quota units per user per second; a send costs 100 units, a get or list 5, a modify 5.
  rateLimit: { requests: 20, perSeconds: 1, burst: 10 },
  createClient: ({ credential, env }) => {
    checkGoogleCredential(credential);
    return createRestClient(gmailApi, { credential, env });
  },
  async testCredential({ client, signal }) {
    const { body } = await client.send({ method: 'GET', path: '/users/me/profile' }, signal);
    const profile = z.object({ emailAddress: z.string() }).safeParse(body);
    return `Gmail accepts the credential: mailbox ${profile.success ? profile.data.emailAddress : '?'}.`;
  },
  actions: [sendEmail, replyToEmail, searchEmails, getEmail, addLabels, createDraft, downloadAttachment],
  triggers: [newEmail],
  docPath: fileURLToPath(new URL('./doc.md', import.meta.url)),
});
