import type { Extractor } from './extract-options.ts';
import { tooMuchText } from './limits-check.ts';
import { isDecodeError, notUtf8, utf8Chunks } from './utf8.ts';

/** The file as UTF-8 text, read as it streams in, failing as soon as it passes maxChars. */
export const extractText: Extractor = async (stream, options) => {
  const reader = utf8Chunks(stream).getReader();
  let text = '';
  try {
    for (;;) {
      const next = await reader.read();
      if (next.done) break;
      text += next.value;
      if (text.length > options.maxChars) {
        await reader.cancel().catch(() => {});
        throw tooMuchText(options.name, options.maxChars);
      }
    }
  } catch (error) {
    if (isDecodeError(error)) throw notUtf8('text', options.name, error);
    throw error;
  }
  return { text };
};
