import { z } from 'zod';
import { ConnectorError } from '../../sdk/connector-error.ts';
import { FileRef } from '../../sdk/files.ts';
import { DriveFile, DriveFileBody, DriveId, FILE_FIELDS, toDriveFile } from '../client.ts';
import { driveAction } from '../kit.ts';

/** What a Google Doc, Sheet, Slides or Drawing is exported as by default, and its file extension. */
const EXPORTS: Record<string, { mimeType: string; extension: string }> = {
  'application/vnd.google-apps.document': { mimeType: 'application/pdf', extension: 'pdf' },
  'application/vnd.google-apps.spreadsheet': {
    mimeType: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
    extension: 'xlsx',
  },
  'application/vnd.google-apps.presentation': { mimeType: 'application/pdf', extension: 'pdf' },
  'application/vnd.google-apps.drawing': { mimeType: 'image/png', extension: 'png' },
};

export const downloadFile = driveAction({
  key: 'downloadFile',
  title: 'Download a file from Google Drive',
  description:
    "Download a Google Drive file into the run's files (Google Docs, Sheets and Slides are exported, as PDF/XLSX by default) to attach, parse or forward it.",
  effect: 'read',
  idempotent: true,
  input: z.strictObject({
    fileId: DriveId,
    exportMimeType: z
      .string()
      .min(3)
      .max(200)
      .optional()
      .describe(
        'For Google Docs, Sheets and Slides: the format to export, e.g. "text/csv" or "application/pdf"; default PDF (XLSX for Sheets).',
      ),
  }),
  output: z.object({
    file: FileRef,
    driveFile: DriveFile.describe('The Drive file it came from.'),
  }),
  async run(input, ctx) {
    const meta = await ctx.client.send(
      {
        method: 'GET',
        path: `/drive/v3/files/${encodeURIComponent(input.fileId)}`,
        query: { fields: FILE_FIELDS, supportsAllDrives: true },
      },
      ctx.signal,
    );
    const body = DriveFileBody.parse(meta.body);
    if (body.mimeType === 'application/vnd.google-apps.folder') {
      throw new ConnectorError({
        code: 'E_PARAMS',
        message: `googledrive.downloadFile: ${input.fileId} is a folder ("${body.name}"), which has no bytes.`,
        retryable: false,
        hint: 'List the folder with listFiles (folderId) and download the files in it.',
      });
    }
    const native = EXPORTS[body.mimeType];
    const isGoogleType = body.mimeType.startsWith('application/vnd.google-apps.');
    const exportAs = input.exportMimeType ?? native?.mimeType;
    if (isGoogleType && !exportAs) {
      throw new ConnectorError({
        code: 'E_PARAMS',
        message: `googledrive.downloadFile: a ${body.mimeType} cannot be downloaded as it is.`,
        retryable: false,
        hint: 'Give exportMimeType, e.g. "application/pdf".',
      });
    }
    const response = isGoogleType
      ? await ctx.client.download(
          `/drive/v3/files/${encodeURIComponent(input.fileId)}/export`,
          { mimeType: exportAs ?? 'application/pdf' },
          ctx.signal,
        )
      : await ctx.client.download(
          `/drive/v3/files/${encodeURIComponent(input.fileId)}`,
          { alt: 'media', supportsAllDrives: 'true' },
          ctx.signal,
        );
    const extension = isGoogleType && native && !input.exportMimeType ? `.${native.extension}` : '';
    const length = Number(response.headers.get('content-length') ?? Number.NaN);
    const file = await ctx.files.write(
      {
        name: `${body.name || input.fileId}${extension}`,
        contentType: isGoogleType ? exportAs : body.mimeType,
        ...(Number.isFinite(length) ? { expectedSize: length } : {}),
      },
      response.body ?? new Uint8Array(),
    );
    return { file, driveFile: toDriveFile(body) };
  },
});
