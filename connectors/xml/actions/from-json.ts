import { XMLBuilder } from 'fast-xml-parser';
import { z } from 'zod';
import { dataError, jsonDepth, MAX_DATA_CHARS } from '../../sdk/data-error.ts';
import { defineAction } from '../../sdk/define.ts';
import { MAX_XML_DEPTH } from '../limits.ts';

export const XmlFromJsonInput = z.strictObject({
  data: z
    .record(z.string(), z.unknown())
    .describe(
      'The JSON to write, in xml.toJson\'s shape: exactly one key at the top (the root element); keys are element names, arrays repeat an element, "@_x" keys are attributes, "#text" is text.',
    ),
  attributePrefix: z.string().max(10).default('@_').describe('Prefix of attribute keys. Default "@_".'),
  textKey: z.string().min(1).max(20).default('#text').describe('Key of an element\'s text. Default "#text".'),
  pretty: z.boolean().default(false).describe('Indent the output with two spaces. Default false.'),
  declaration: z
    .boolean()
    .default(true)
    .describe('Start with <?xml version="1.0" encoding="UTF-8"?>. Default true.'),
});

export const XmlFromJsonOutput = z.object({ xml: z.string().describe('The XML text.') });

export const fromJson = defineAction({
  key: 'fromJson',
  title: 'JSON to XML',
  description:
    'Write JSON as an XML document (for SOAP or XML APIs, sitemaps, feeds), in the shape xml.toJson reads: keys ' +
    'are elements, arrays repeat them, "@_name" keys are attributes. Text is escaped.',
  effect: 'pure',
  idempotent: true,
  input: XmlFromJsonInput,
  output: XmlFromJsonOutput,
  async run(input) {
    if (jsonDepth(input.data, MAX_XML_DEPTH) > MAX_XML_DEPTH) {
      throw dataError(
        'E_XML_TOO_DEEP',
        `xml.fromJson: data is nested deeper than ${MAX_XML_DEPTH} levels.`,
        'Flatten the data before writing it as XML.',
      );
    }
    const roots = Object.entries(input.data);
    if (roots.length !== 1 || Array.isArray(roots[0]?.[1])) {
      throw dataError(
        'E_XML_ROOT',
        `xml.fromJson: an XML document has exactly one root element; data has ${roots.length === 1 ? 'a list at its one key' : `${roots.length} keys`}.`,
        'Wrap the data in one key, e.g. { "items": { "item": [ … ] } }.',
      );
    }
    if (hasListInList(input.data)) {
      throw dataError(
        'E_XML_LIST_IN_LIST',
        'xml.fromJson: a list holds a list; XML repeats an element, so each item of a list must be one element.',
        'Wrap the inner list in a key, e.g. { "row": [ { "cell": [1, 2] } ] } instead of { "row": [[1, 2]] }.',
      );
    }
    const badName = invalidElementName(input.data, input.attributePrefix, input.textKey);
    if (badName !== undefined) {
      throw dataError(
        'E_XML_NAME',
        `xml.fromJson: ${JSON.stringify(badName.slice(0, 100))} cannot be an XML element or attribute name.`,
        'Names start with a letter or _ and hold letters, digits, -, _, . or : (no spaces); rename the key first.',
      );
    }
    const builder = new XMLBuilder({
      ignoreAttributes: false,
      attributeNamePrefix: input.attributePrefix,
      textNodeName: input.textKey,
      format: input.pretty,
      indentBy: '  ',
      suppressEmptyNode: false,
      processEntities: true,
    });
    const body = String(builder.build(input.data));
    const xml = input.declaration
      ? `<?xml version="1.0" encoding="UTF-8"?>${input.pretty ? '\n' : ''}${body}`
      : body;
    if (xml.length > MAX_DATA_CHARS) {
      throw dataError(
        'E_XML_TOO_LARGE',
        `xml.fromJson: the XML would be ${xml.length} characters, more than ${MAX_DATA_CHARS}.`,
        'Write fewer items per step (split them with core.foreach).',
      );
    }
    return { xml };
  },
});

const XML_NAME = /^[A-Za-z_][\w.:-]*$/;

/** A list directly inside a list, at any depth: the builder would write its indexes as element names. */
function hasListInList(data: unknown): boolean {
  const stack: unknown[] = [data];
  while (stack.length > 0) {
    const current = stack.pop();
    if (current === null || typeof current !== 'object') continue;
    const children = Array.isArray(current) ? current : Object.values(current);
    if (Array.isArray(current) && children.some(Array.isArray)) return true;
    stack.push(...children);
  }
  return false;
}

/** The first key of `data` (at any depth) that is not a valid XML name, besides the text key and `?xml`. */
function invalidElementName(data: unknown, attributePrefix: string, textKey: string): string | undefined {
  const stack: unknown[] = [data];
  while (stack.length > 0) {
    const current = stack.pop();
    if (current === null || typeof current !== 'object') continue;
    if (Array.isArray(current)) {
      stack.push(...current);
      continue;
    }
    for (const [key, value] of Object.entries(current)) {
      const name =
        attributePrefix && key.startsWith(attributePrefix) ? key.slice(attributePrefix.length) : key;
      if (key !== textKey && !XML_NAME.test(name)) return key;
      stack.push(value);
    }
  }
  return undefined;
}
