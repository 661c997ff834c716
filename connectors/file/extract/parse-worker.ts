// A worker thread of parse-pool.ts: parses one whole file at a time with the same extractors the main thread
// would use, and posts the result or the error (as plain data) back. Only pure parsing happens here.
import { parentPort } from 'node:worker_threads';
import { AppError } from '../../../lib/index.ts';
import type { Extracted, ExtractOptions, Extractor, WholeFileFormat } from './extract-options.ts';

export type ParseJob = { format: WholeFileFormat; bytes: Uint8Array<ArrayBuffer>; options: ExtractOptions };
export type ParseAnswer =
  | { ok: true; value: Extracted }
  | {
      ok: false;
      error: {
        code: string;
        message: string;
        retryable: boolean;
        hint?: string | undefined;
        details: unknown;
      };
    }
  | { ok: false; crash: string };

const loaders: Record<WholeFileFormat, () => Promise<Extractor>> = {
  pdf: async () => (await import('./pdf.ts')).extractPdf,
  xlsx: async () => (await import('./xlsx.ts')).extractXlsx,
  docx: async () => (await import('./docx.ts')).extractDocx,
  json: async () => (await import('./json.ts')).extractJson,
  xml: async () => (await import('./xml.ts')).extractXml,
  html: async () => (await import('./html.ts')).extractHtml,
};

async function parse(job: ParseJob): Promise<ParseAnswer> {
  try {
    const extractor = await loaders[job.format]();
    return { ok: true, value: await extractor(new Blob([job.bytes]).stream(), job.options) };
  } catch (error) {
    if (error instanceof AppError) {
      const { code, message, retryable, hint, details } = error;
      return { ok: false, error: { code, message, retryable, hint, details } };
    }
    return { ok: false, crash: error instanceof Error ? error.message : String(error) };
  }
}

parentPort?.on('message', (job: ParseJob) => {
  parse(job).then(
    (answer) => parentPort?.postMessage(answer),
    (error: unknown) => parentPort?.postMessage({ ok: false, crash: String(error) }),
  );
});
