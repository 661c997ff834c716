import { z } from 'zod';
import type { GoogleApiSpec } from '../google/client.ts';

export const DRIVE_API_URL = 'https://www.googleapis.com';
export const DRIVE_SCOPE = 'https://www.googleapis.com/auth/drive';
export const FOLDER_MIME_TYPE = 'application/vnd.google-apps.folder';

export const driveApi: GoogleApiSpec = {
  connector: 'googledrive',
  apiName: 'Google Drive API',
  baseUrl: DRIVE_API_URL,
  scopes: [DRIVE_SCOPE],
  acceptedScopes: [
    'https://www.googleapis.com/auth/drive.file',
    'https://www.googleapis.com/auth/drive.readonly',
  ],
  shared: 'the file or folder',
  hints: {
    400: "Check the parameters the message names (a search query uses Drive's syntax, e.g. name contains 'report').",
    404: 'Check the file or folder id (the part of its URL after /d/ or /folders/): it does not exist, is in the trash, or is not shared with this credential.',
  },
};

/** The fields every call asks for, so answers have the same shape. */
export const FILE_FIELDS =
  'id,name,mimeType,parents,size,createdTime,modifiedTime,webViewLink,webContentLink,trashed,md5Checksum';

export const DriveId = z
  .string()
  .trim()
  .regex(/^[A-Za-z0-9_-]{5,200}$/, 'a Drive id (the part of the URL after /d/ or /folders/)')
  .describe(
    'A Drive file or folder id, e.g. "1a2B3c4D5e6F7g8H9i0J" (from its URL after /d/ or /folders/, or from listFiles).',
  );

export const DriveFileBody = z.object({
  id: z.string(),
  name: z.string().default(''),
  mimeType: z.string().default('application/octet-stream'),
  parents: z.array(z.string()).max(100).optional(),
  size: z.coerce.number().int().optional(),
  createdTime: z.string().optional(),
  modifiedTime: z.string().optional(),
  webViewLink: z.string().optional(),
  trashed: z.boolean().optional(),
  md5Checksum: z.string().optional(),
});

export const DriveFile = z.object({
  id: z.string().describe('The file id.'),
  name: z.string().describe('The file name.'),
  mimeType: z.string().describe('Its type; folders are application/vnd.google-apps.folder.'),
  folderIds: z.array(z.string()).describe('The folders it is in.'),
  size: z.number().int().nullable().describe('Size in bytes (null for Google Docs, Sheets and folders).'),
  createdTime: z.string().nullable().describe('When it was created (RFC 3339).'),
  modifiedTime: z.string().nullable().describe('When it was last changed (RFC 3339).'),
  link: z.string().describe('Link to open it in Drive.'),
});
export type DriveFile = z.infer<typeof DriveFile>;

export function toDriveFile(raw: unknown): DriveFile {
  const file = DriveFileBody.parse(raw);
  return {
    id: file.id,
    name: file.name,
    mimeType: file.mimeType,
    folderIds: file.parents ?? [],
    size: file.size ?? null,
    createdTime: file.createdTime ?? null,
    modifiedTime: file.modifiedTime ?? null,
    link: file.webViewLink ?? `https://drive.google.com/file/d/${encodeURIComponent(file.id)}/view`,
  };
}

/** A string literal of Drive's query language: quotes and backslashes escaped. */
export function queryLiteral(value: string): string {
  return `'${value.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`;
}

/** Drive's `q` from simple filters, joined with `and` (trashed files left out). */
export function driveQuery(filters: {
  folderId?: string | undefined;
  nameContains?: string | undefined;
  mimeType?: string | undefined;
  query?: string | undefined;
  after?: { field: 'createdTime' | 'modifiedTime'; time: string } | undefined;
}): string {
  const parts = ['trashed = false'];
  if (filters.folderId) parts.push(`${queryLiteral(filters.folderId)} in parents`);
  if (filters.nameContains) parts.push(`name contains ${queryLiteral(filters.nameContains)}`);
  if (filters.mimeType) parts.push(`mimeType = ${queryLiteral(filters.mimeType)}`);
  if (filters.after) parts.push(`${filters.after.field} > ${queryLiteral(filters.after.time)}`);
  if (filters.query) parts.push(`(${filters.query})`);
  return parts.join(' and ');
}

export const FileList = z.object({
  files: z.array(z.unknown()).max(1000).default([]),
  nextPageToken: z.string().optional(),
});
