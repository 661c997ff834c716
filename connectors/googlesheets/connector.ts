import { fileURLToPath } from 'node:url';
import { createGoogleClient, type GoogleClient } from '../google/client.ts';
import { googleCredentialDefinition } from '../google/credential.ts';
import { googleOAuthProvider } from '../google/oauth-provider.ts';
import { defineConnector } from '../sdk/define.ts';
import { appendRows } from './actions/append-rows.ts';
import { clearRange } from './actions/clear-range.ts';
import { listSheets } from './actions/list-sheets.ts';
import { lookupRows } from './actions/lookup-rows.ts';
import { readRange } from './actions/read-range.ts';
import { updateRow } from './actions/update-row.ts';
import { sheetsApi } from './client.ts';
import { rowAdded } from './triggers/row-added.ts';

export const googleSheetsConnector = defineConnector<unknown, GoogleClient>({
  id: 'googlesheets',
  version: '1.0.0',
  title: 'Google Sheets',
  description:
    "Append, update, find, read and clear rows of Google Sheets, list a spreadsheet's tabs, and start workflows on new rows (Sheets API v4).",
  credential: googleCredentialDefinition(sheetsApi),
  // The one declaration of Google's preset (provider ids are unique across connectors); the other Google connectors
  // and http.request use it by id.
  oauthProviders: [googleOAuthProvider],
  // Sheets allows 60 read and 60 write requests per minute per user per project (and 300 per project).
  rateLimit: { requests: 60, perSeconds: 60, burst: 10 },
  createClient: ({ credential, env }) => createGoogleClient(sheetsApi, { credential, env }),
  testCredential: ({ client, signal }) => client.testCredential(signal),
  actions: [appendRows, updateRow, lookupRows, readRange, clearRange, listSheets],
  triggers: [rowAdded],
  docPath: fileURLToPath(new URL('./doc.md', import.meta.url)),
});
