import { z } from 'zod';
import type { PollWatermark } from '../../sdk/define.ts';
import {
  DriveFile,
  DriveFileBody,
  DriveId,
  driveQuery,
  FILE_FIELDS,
  FileList,
  toDriveFile,
} from '../client.ts';
import { rest } from '../kit.ts';

export const FileFilters = z.strictObject({
  folderId: DriveId.optional().describe(
    'Only files directly in this folder (its id); default anywhere in Drive.',
  ),
  mimeType: z.string().min(3).max(200).optional().describe('Only this type, e.g. "application/pdf".'),
  nameContains: z.string().min(1).max(200).optional().describe('Only files whose name contains this.'),
  intervalSeconds: z
    .number()
    .int()
    .min(10)
    .max(86_400)
    .default(60)
    .describe('How often to check, in seconds (10–86400, default 60).'),
});
type FileFilters = z.output<typeof FileFilters>;

const PAGE_SIZE = 100;
const SAMPLE: DriveFile = {
  id: '1a2B3c4D5e6F7g8H9i0J',
  name: 'Invoice 2026-118.pdf',
  mimeType: 'application/pdf',
  folderIds: ['0AbCdEfGhIjKlUk9PVA'],
  size: 48213,
  createdTime: '2026-12-04T09:30:00.000Z',
  modifiedTime: '2026-12-04T09:30:00.000Z',
  link: 'https://drive.google.com/file/d/1a2B3c4D5e6F7g8H9i0J/view',
};

/** Drive compares times as RFC 3339; one second back, so a file of the watermark's own second is not missed. */
const sinceTime = (after: PollWatermark) => new Date(Math.max(0, after.at - 1000)).toISOString();

function changesTrigger(field: 'createdTime' | 'modifiedTime') {
  const created = field === 'createdTime';
  return rest.poll({
    key: created ? 'fileCreated' : 'fileUpdated',
    title: created ? 'New file in Google Drive' : 'File changed in Google Drive',
    description: created
      ? 'Starts the workflow for each file added to Google Drive (or one folder), checked every intervalSeconds by its creation time.'
      : 'Starts the workflow each time a Google Drive file (in one folder, or anywhere) is changed or added, checked every intervalSeconds.',
    with: FileFilters,
    data: DriveFile,
    sample: SAMPLE,
    intervalMs: (filters) => filters.intervalSeconds * 1000,
    http: {
      method: 'GET',
      path: '/drive/v3/files',
      query: (filters: FileFilters) => ({
        q: driveQuery(filters),
        orderBy: `${field} desc`,
        pageSize: PAGE_SIZE,
        fields: `nextPageToken,files(${FILE_FIELDS})`,
        supportsAllDrives: true,
        includeItemsFromAllDrives: true,
      }),
    },
    since: (after, filters) =>
      after ? { q: driveQuery({ ...filters, after: { field, time: sinceTime(after) } }) } : {},
    paginate: {
      style: 'cursor',
      cursorParam: 'pageToken',
      items: (body) => FileList.parse(body).files,
      nextCursor: (body) => FileList.parse(body).nextPageToken,
      maxPages: 5,
    },
    item: (raw) => {
      const body = DriveFileBody.parse(raw);
      const time = body[field];
      if (!time) return undefined;
      const file = toDriveFile(body);
      // A change is one item per (file, modification time): the same file changed again starts another run.
      return { id: created ? file.id : `${file.id}@${time}`, at: Date.parse(time), data: file };
    },
  });
}

export const fileCreated = changesTrigger('createdTime');
export const fileUpdated = changesTrigger('modifiedTime');
