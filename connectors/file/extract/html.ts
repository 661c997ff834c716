import { convert } from 'html-to-text';
import { MAX_HTML_DEPTH, MAX_PARSE_BYTES } from '../limits.ts';
import { readBytes } from '../read-bytes.ts';
import type { Extractor } from './extract-options.ts';
import { tooMuchText } from './limits-check.ts';
import { utf8Text } from './utf8.ts';

const SKIPPED = ['img', 'script', 'style', 'noscript', 'template', 'svg', 'iframe', 'object'];

/** The page's readable text by html-to-text: links keep their text, tables their cells; scripts and images go. */
export const extractHtml: Extractor = async (stream, options) => {
  const html = utf8Text(await readBytes(stream, MAX_PARSE_BYTES, options.name, 'html'), 'html', options.name);
  const text = convert(html, {
    wordwrap: false,
    limits: { maxDepth: MAX_HTML_DEPTH, maxInputLength: MAX_PARSE_BYTES, ellipsis: '…' },
    selectors: [
      { selector: 'a', options: { ignoreHref: true } },
      ...SKIPPED.map((selector) => ({ selector, format: 'skip' })),
      ...['h1', 'h2', 'h3', 'h4', 'h5', 'h6'].map((selector) => ({
        selector,
        options: { uppercase: false },
      })),
      { selector: 'table', format: 'dataTable', options: { uppercaseHeaderCells: false } },
    ],
  }).trim();
  if (text.length > options.maxChars) throw tooMuchText(options.name, options.maxChars);
  return { text };
};
