import { z } from 'zod';
import { DriveFile, DriveId, driveQuery, FILE_FIELDS, FileList, toDriveFile } from '../client.ts';
import { rest } from '../kit.ts';

const PAGE_SIZE = 100;

export const listFiles = rest.list({
  key: 'listFiles',
  title: 'List or search files in Google Drive',
  description:
    'List the files of a Google Drive folder or search Drive by name, type or a Drive query; trashed files are left out.',
  effect: 'read',
  idempotent: true,
  input: z.strictObject({
    folderId: DriveId.optional().describe('Only files directly in this folder (its id).'),
    nameContains: z
      .string()
      .min(1)
      .max(200)
      .optional()
      .describe('Only files whose name contains this, e.g. "invoice".'),
    mimeType: z
      .string()
      .min(3)
      .max(200)
      .optional()
      .describe(
        'Only this type, e.g. "application/pdf", or "application/vnd.google-apps.folder" for folders.',
      ),
    query: z
      .string()
      .min(1)
      .max(2000)
      .optional()
      .describe(
        'A Drive search query, added with "and", e.g. "modifiedTime > \'2026-01-01T00:00:00\'" or "fullText contains \'budget\'".',
      ),
    orderBy: z
      .enum(['modifiedTime desc', 'createdTime desc', 'name', 'folder,name'])
      .default('modifiedTime desc')
      .describe('The order: newest changes first (default), newest first, by name, or folders then by name.'),
    limit: z
      .number()
      .int()
      .min(1)
      .max(1000)
      .default(100)
      .describe('At most this many files (1–1000, default 100).'),
  }),
  output: z.object({
    files: z.array(DriveFile).describe('The files found, in the order asked for.'),
    truncated: z.boolean().describe('True when more files matched than `limit`.'),
  }),
  http: {
    method: 'GET',
    path: '/drive/v3/files',
    query: (input) => ({
      q: driveQuery(input),
      orderBy: input.orderBy,
      pageSize: Math.min(PAGE_SIZE, input.limit),
      fields: `nextPageToken,files(${FILE_FIELDS})`,
      supportsAllDrives: true,
      includeItemsFromAllDrives: true,
    }),
  },
  paginate: {
    style: 'cursor',
    cursorParam: 'pageToken',
    items: (body) => FileList.parse(body).files,
    nextCursor: (body) => FileList.parse(body).nextPageToken,
    maxItems: (input) => input.limit,
  },
  project: (collected) => ({ files: collected.items.map(toDriveFile), truncated: collected.truncated }),
});
