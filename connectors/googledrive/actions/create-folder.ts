import { z } from 'zod';
import { describeNamed } from '../../sdk/describe-target.ts';
import { DriveFile, DriveId, FILE_FIELDS, FOLDER_MIME_TYPE, toDriveFile } from '../client.ts';
import { rest } from '../kit.ts';

export const createFolder = rest.action({
  key: 'createFolder',
  title: 'Create a folder in Google Drive',
  description:
    'Create a folder in Google Drive (in My Drive or inside another folder), e.g. one folder per customer or project.',
  effect: 'write',
  // Drive has no idempotency key: a retry after a lost answer may create a second folder of the same name.
  idempotent: false,
  describeTarget: (withValue) =>
    describeNamed('the Google Drive folder', withValue.parentId ?? 'My Drive', { new: withValue.name }),
  input: z.strictObject({
    name: z.string().min(1).max(255).describe('The folder name, e.g. "Acme Corp — contracts".'),
    parentId: DriveId.optional().describe('The folder to create it in (its id); default My Drive.'),
  }),
  output: DriveFile,
  http: {
    method: 'POST',
    path: '/drive/v3/files',
    query: () => ({ fields: FILE_FIELDS, supportsAllDrives: true }),
    json: (input) => ({
      name: input.name,
      mimeType: FOLDER_MIME_TYPE,
      ...(input.parentId ? { parents: [input.parentId] } : {}),
    }),
  },
  project: (response) => toDriveFile(response.body),
});
