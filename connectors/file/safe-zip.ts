import { type Unzipped, unzipSync, zipSync } from 'fflate';
import { ConnectorError } from '../sdk/connector-error.ts';
import { fileFormatError, fileLimitError } from './file-errors.ts';
import { MAX_UNZIPPED_BYTES, MAX_ZIP_ENTRIES } from './limits.ts';

/**
 * The archive of an xlsx or docx, unpacked by fflate within the caps and packed again without compression, for a
 * library to open. exceljs and mammoth unzip with JSZip, which inflates each entry whatever its header declares: a
 * zip bomb would reach them whole. fflate checks the declared sizes before inflating anything and never writes an
 * entry past its declared size, so what the library gets is bounded by the caps, whatever the archive claims.
 */
export function boundedZip(bytes: Uint8Array, format: string, name: string): Uint8Array {
  let entries = 0;
  let declared = 0;
  let files: Unzipped;
  try {
    files = unzipSync(bytes, {
      filter(entry) {
        entries += 1;
        declared += entry.originalSize;
        if (entries > MAX_ZIP_ENTRIES) {
          throw fileLimitError(
            'file.extract',
            `"${name}" holds more than ${MAX_ZIP_ENTRIES} entries; a ${format} file has a few dozen.`,
            `Check that the file is a real ${format} file.`,
            MAX_ZIP_ENTRIES,
          );
        }
        if (declared > MAX_UNZIPPED_BYTES) {
          throw fileLimitError(
            'file.extract',
            `"${name}" unpacks to more than ${MAX_UNZIPPED_BYTES} bytes (it is an archive); that is more than a step may read.`,
            'Extract from a smaller document, or split it (e.g. one sheet per file) before it reaches the workflow.',
            MAX_UNZIPPED_BYTES,
          );
        }
        return true;
      },
    });
  } catch (error) {
    if (error instanceof ConnectorError) throw error;
    throw fileFormatError(format, name, `it is not a readable zip archive (${errorText(error)})`, error);
  }
  return zipSync(files, { level: 0 });
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
