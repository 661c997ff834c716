import { extractText, getDocumentProxy } from 'unpdf';
import { fileFormatError } from '../file-errors.ts';
import { MAX_PARSE_BYTES } from '../limits.ts';
import { readBytes } from '../read-bytes.ts';
import type { Extractor } from './extract-options.ts';
import { tooMuchText } from './limits-check.ts';

/** The text of every page (pages separated by a line break), by pdf.js through unpdf. No OCR: a scan has none. */
export const extractPdf: Extractor = async (stream, options) => {
  const bytes = await readBytes(stream, MAX_PARSE_BYTES, options.name, 'pdf');
  let text: string;
  try {
    // pdf.js takes the buffer over (detaches it): it gets its own copy. No eval, no fetches, no font loading.
    const document = await getDocumentProxy(new Uint8Array(bytes), {
      verbosity: 0,
      isEvalSupported: false,
      disableFontFace: true,
      useSystemFonts: false,
      stopAtErrors: true,
    });
    try {
      text = (await extractText(document, { mergePages: true })).text;
    } finally {
      await document.destroy();
    }
  } catch (error) {
    const reason =
      error instanceof Error && error.name === 'PasswordException'
        ? 'it is encrypted with a password'
        : error instanceof Error
          ? error.message
          : String(error);
    throw fileFormatError('pdf', options.name, reason, error);
  }
  if (text.length > options.maxChars) throw tooMuchText(options.name, options.maxChars);
  return { text };
};
