import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { fileFormatError } from '../file-errors.ts';
import { MAX_DATA_DEPTH, MAX_PARSE_BYTES } from '../limits.ts';
import { readBytes } from '../read-bytes.ts';
import type { Extractor } from './extract-options.ts';
import { checkDepth, tooDeep } from './limits-check.ts';
import { utf8Text } from './utf8.ts';

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@',
  // Values stay text, as in csv: "00123" is a code, not the number 123.
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
  ignoreDeclaration: true,
  maxNestedTags: MAX_DATA_DEPTH,
  ignorePiTags: true,
  htmlEntities: false,
  // Only the predefined entities (&amp; &lt; …): a document declaring its own is refused before parsing.
  processEntities: { enabled: true, maxEntityCount: 1, maxEntitySize: 1 },
});

/**
 * The document as data by fast-xml-parser: elements become keys, repeated elements arrays, attributes `@name`,
 * text next to attributes or children `#text`. DTD entity declarations are refused (no billion laughs, no XXE).
 */
export const extractXml: Extractor = async (stream, options) => {
  const text = utf8Text(await readBytes(stream, MAX_PARSE_BYTES, options.name, 'xml'), 'xml', options.name);
  if (/<!ENTITY/i.test(text)) {
    throw fileFormatError(
      'xml',
      options.name,
      'it declares entities (<!ENTITY> in a DTD), which are never expanded (billion laughs, external files).',
    );
  }
  const valid = XMLValidator.validate(text);
  if (valid !== true) {
    throw fileFormatError(
      'xml',
      options.name,
      `${valid.err.msg} (line ${valid.err.line}, column ${valid.err.col})`,
    );
  }
  let data: unknown;
  try {
    data = parser.parse(text);
  } catch (error) {
    if (error instanceof RangeError || (error instanceof Error && /nested tags/i.test(error.message))) {
      throw tooDeep(options.name);
    }
    throw fileFormatError('xml', options.name, error instanceof Error ? error.message : String(error), error);
  }
  checkDepth(data, options.name);
  return { data };
};
