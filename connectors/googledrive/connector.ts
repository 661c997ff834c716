import { fileURLToPath } from 'node:url';
import { createGoogleClient, type GoogleClient } from '../google/client.ts';
import { googleCredentialDefinition } from '../google/credential.ts';
import { defineConnector } from '../sdk/define.ts';
import { createFolder } from './actions/create-folder.ts';
import { downloadFile } from './actions/download-file.ts';
import { listFiles } from './actions/list-files.ts';
import { shareFile } from './actions/share-file.ts';
import { uploadFile } from './actions/upload-file.ts';
import { driveApi } from './client.ts';
import { fileCreated, fileUpdated } from './triggers/file-changes.ts';

export const googleDriveConnector = defineConnector<unknown, GoogleClient>({
  id: 'googledrive',
  version: '1.0.0',
  title: 'Google Drive',
  description:
    'Upload and download files of a run, list and search files, create folders and share them in Google Drive; start workflows on new or changed files (Drive API v3).',
  credential: googleCredentialDefinition(driveApi),
  // The google OAuth preset is declared by googlesheets (ids are unique across connectors).
  // Drive allows 12,000 queries per minute per user; writes are best kept to a few per second.
  rateLimit: { requests: 10, perSeconds: 1, burst: 20 },
  createClient: ({ credential, env }) => createGoogleClient(driveApi, { credential, env }),
  testCredential: ({ client, signal }) => client.testCredential(signal),
  actions: [uploadFile, downloadFile, listFiles, createFolder, shareFile],
  triggers: [fileCreated, fileUpdated],
  docPath: fileURLToPath(new URL('./doc.md', import.meta.url)),
});
