import { XMLBuilder } from 'fast-xml-parser';
import { z } from 'zod';
import { dataError, jsonDepth, MAX_DATA_CHARS } from '../../sdk/data-error.ts';
import { defineAction } from '../../sdk/define.ts';
import { MAX_XML_DEPTH } from '../limits.ts';

export const XmlFromJsonInput = z.strictObject({
  data: z
    .record(z.string(), z.unknown())
    .describe(
      'The JSON to write, in xml.toJson\'s shape: keys are element names, arrays repeat an element, "@_x" keys are attributes, "#text" is text. One key at the top makes one root element.',
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
