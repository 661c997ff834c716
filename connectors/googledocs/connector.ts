import { fileURLToPath } from 'node:url';
import { createGoogleClient, type GoogleClient } from '../google/client.ts';
import { googleCredentialDefinition } from '../google/credential.ts';
import { defineConnector } from '../sdk/define.ts';
import { appendText } from './actions/append-text.ts';
import { createDocument } from './actions/create-document.ts';
import { getText } from './actions/get-text.ts';
import { docsApi } from './client.ts';

export const googleDocsConnector = defineConnector<unknown, GoogleClient>({
  id: 'googledocs',
  version: '1.0.0',
  title: 'Google Docs',
  description: 'Create Google Docs, append text to them and read their text (Docs API v1).',
  credential: googleCredentialDefinition(docsApi),
  // The google OAuth preset is declared by googlesheets (ids are unique across connectors).
  // Docs allows 300 read and 60 write requests per minute per user.
  rateLimit: { requests: 60, perSeconds: 60, burst: 10 },
  createClient: ({ credential, env }) => createGoogleClient(docsApi, { credential, env }),
  testCredential: ({ client, signal }) => client.testCredential(signal),
  actions: [createDocument, appendText, getText],
  triggers: [],
  docPath: fileURLToPath(new URL('./doc.md', import.meta.url)),
});
