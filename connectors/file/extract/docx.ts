import mammoth from 'mammoth';
import { fileFormatError } from '../file-errors.ts';
import { MAX_PARSE_BYTES } from '../limits.ts';
import { readBytes } from '../read-bytes.ts';
import { boundedZip } from '../safe-zip.ts';
import type { Extractor } from './extract-options.ts';
import { tooMuchText } from './limits-check.ts';

/** The document's text (paragraphs separated by blank lines), by mammoth from a bounded archive. */
export const extractDocx: Extractor = async (stream, options) => {
  const bytes = await readBytes(stream, MAX_PARSE_BYTES, options.name, 'docx');
  const archive = boundedZip(bytes, 'docx', options.name);
  let text: string;
  try {
    text = (await mammoth.extractRawText({ buffer: Buffer.from(archive) })).value;
  } catch (error) {
    throw fileFormatError(
      'docx',
      options.name,
      error instanceof Error ? error.message : String(error),
      error,
    );
  }
  text = text.replace(/\n{3,}/g, '\n\n').trim();
  if (text.length > options.maxChars) throw tooMuchText(options.name, options.maxChars);
  return { text };
};
