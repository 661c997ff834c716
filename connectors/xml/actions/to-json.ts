import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { z } from 'zod';
import { dataError, MAX_DATA_CHARS } from '../../sdk/data-error.ts';
import { defineAction } from '../../sdk/define.ts';
import { MAX_XML_DEPTH } from '../limits.ts';

export const XmlToJsonInput = z.strictObject({
  xml: z.string().max(MAX_DATA_CHARS).describe('The XML document as text (at most 5,000,000 characters).'),
  attributes: z
    .boolean()
    .default(true)
    .describe('Keep attributes, as keys prefixed with attributePrefix. Default true.'),
  attributePrefix: z.string().max(10).default('@_').describe('Prefix of attribute keys. Default "@_".'),
  textKey: z
    .string()
    .min(1)
    .max(20)
    .default('#text')
    .describe('Key of an element\'s text when it also has attributes or children. Default "#text".'),
  alwaysArray: z
    .array(z.string().min(1).max(200))
    .max(100)
    .default([])
    .describe('Tag names that always become arrays, even with one element (e.g. ["item"]).'),
  parseValues: z
    .boolean()
    .default(false)
    .describe(
      'Turn numeric and boolean text into numbers and booleans. Default false: all text stays strings.',
    ),
});

export const XmlToJsonOutput = z.object({
  data: z
    .record(z.string(), z.unknown())
    .describe('The document as JSON: one key per root element.')
    .meta({ examples: [{ root: { '@_id': '1', item: ['first', 'second'] } }] }),
});

/** A DOCTYPE that declares entities: the ground of billion-laughs and external-entity attacks. */
const ENTITY_DECLARATION = /<!ENTITY/i;

export const toJson = defineAction({
  key: 'toJson',
  title: 'XML to JSON',
  description:
    'Parse an XML document (SOAP answers, sitemaps, feeds, invoices) into JSON. Elements become keys, repeated ' +
    'elements arrays, attributes "@_name" keys. Entity declarations are refused.',
  effect: 'pure',
  idempotent: true,
  input: XmlToJsonInput,
  output: XmlToJsonOutput,
  async run(input) {
    if (ENTITY_DECLARATION.test(input.xml)) {
      throw dataError(
        'E_XML_ENTITIES',
        'xml.toJson: the document declares entities (<!ENTITY …>), which are refused (entity expansion can blow up a small document).',
        'Remove the DOCTYPE entity declarations; the five built-in entities (&amp; &lt; &gt; &quot; &apos;) and &#…; references still work.',
      );
    }
    const valid = XMLValidator.validate(input.xml, { allowBooleanAttributes: true });
    if (valid !== true) {
      throw dataError(
        'E_XML_INVALID',
        `xml.toJson: not well-formed XML at line ${valid.err.line}, column ${valid.err.col}: ${valid.err.msg}`,
        'Check that the input is the whole XML document (not truncated, not HTML or JSON) and that every tag is closed.',
      );
    }
    const always = new Set(input.alwaysArray);
    const parser = new XMLParser({
      ignoreAttributes: !input.attributes,
      attributeNamePrefix: input.attributePrefix,
      textNodeName: input.textKey,
      parseTagValue: input.parseValues,
      parseAttributeValue: input.parseValues,
      allowBooleanAttributes: true,
      processEntities: { enabled: true, maxEntityCount: 1, maxEntitySize: 1 },
      maxNestedTags: MAX_XML_DEPTH,
      isArray: (name) => always.has(name),
    });
    try {
      return { data: parser.parse(input.xml) as Record<string, unknown> };
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      if (/nested/i.test(message)) {
        throw dataError(
          'E_XML_TOO_DEEP',
          `xml.toJson: elements are nested deeper than ${MAX_XML_DEPTH} levels.`,
          'Such deep nesting is not a real document; check where the XML comes from.',
          error,
        );
      }
      throw dataError(
        'E_XML_INVALID',
        `xml.toJson: ${message}`,
        'Check that the input is a whole XML document.',
        error,
      );
    }
  },
});
