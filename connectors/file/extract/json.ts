import { fileFormatError } from '../file-errors.ts';
import { MAX_PARSE_BYTES } from '../limits.ts';
import { readBytes } from '../read-bytes.ts';
import type { Extractor } from './extract-options.ts';
import { checkDepth, tooDeep } from './limits-check.ts';
import { utf8Text } from './utf8.ts';

/** The file parsed as JSON. */
export const extractJson: Extractor = async (stream, options) => {
  const text = utf8Text(await readBytes(stream, MAX_PARSE_BYTES, options.name, 'json'), 'json', options.name);
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    // JSON.parse itself runs out of stack on very deep nesting.
    if (error instanceof RangeError) throw tooDeep(options.name);
    throw fileFormatError(
      'json',
      options.name,
      error instanceof Error ? error.message : String(error),
      error,
    );
  }
  checkDepth(data, options.name);
  return { data };
};
