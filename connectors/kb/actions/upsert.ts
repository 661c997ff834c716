import { z } from 'zod';
import { type Extracted, extractContent } from '../../file/extract/index.ts';
import { ExtractFormat, type FileFormat } from '../../file/formats.ts';
import { ConnectorError } from '../../sdk/connector-error.ts';
import { describeNamed } from '../../sdk/describe-target.ts';
import { FileRef } from '../../sdk/files.ts';
import { CollectionName, DocumentId } from '../fields.ts';
import { action } from '../kit.ts';

/** Longest document text one upsert takes (about 250 pages); split bigger documents into several ids. */
export const MAX_TEXT_CHARS = 1_000_000;

/** The formats whose content is text worth indexing (csv, xlsx, json and xml become their rows or data as JSON lines). */
const FORMAT_BY_TYPE: Readonly<Record<string, FileFormat>> = {
  'application/pdf': 'pdf',
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document': 'docx',
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet': 'xlsx',
  'text/html': 'html',
  'text/csv': 'csv',
  'application/json': 'json',
  'application/xml': 'xml',
  'text/xml': 'xml',
};

export const UpsertInput = z
  .strictObject({
    collection: CollectionName,
    id: DocumentId,
    text: z
      .string()
      .min(1)
      .max(MAX_TEXT_CHARS)
      .optional()
      .describe('The document text (plain text or markdown); it is cut into chunks and embedded.'),
    file: FileRef.optional().describe(
      'Instead of text: a file from an earlier step (PDF, DOCX, HTML, text, CSV, XLSX, JSON, XML); its text is indexed.',
    ),
    format: ExtractFormat.optional().describe(
      "With file: how to read it (default from the file's content type; other text types are read as text).",
    ),
  })
  .refine((input) => (input.text === undefined) !== (input.file === undefined), {
    message: 'Give exactly one of "text" and "file".',
    path: ['text'],
  });
export type UpsertInput = z.infer<typeof UpsertInput>;

export const UpsertOutput = z.strictObject({
  collection: z.string().describe('The collection written.'),
  id: z.string().describe('The document id written.'),
  chunks: z.number().int().describe('How many chunks the document was cut into.'),
  replaced: z.boolean().describe('True when a document with this id existed and its chunks were replaced.'),
});

function textOf(extracted: Extracted): string {
  if ('text' in extracted) return extracted.text;
  if ('rows' in extracted) return extracted.rows.map((row) => JSON.stringify(row)).join('\n');
  return JSON.stringify(extracted.data, null, 1);
}

export const upsert = action({
  key: 'upsert',
  title: 'Add or replace a document in the knowledge base',
  description:
    'Store a document (text, or a file such as a PDF or DOCX) in a workspace knowledge-base collection (chunked, embedded, full-text indexed) so kb.search finds it; the same id again replaces it.',
  effect: 'write',
  idempotent: true,
  describeTarget: (withValue) =>
    describeNamed('the knowledge base collection', withValue.collection, { document: withValue.id }),
  input: UpsertInput,
  output: UpsertOutput,
  async run(input, ctx) {
    let text = input.text ?? '';
    if (input.file) {
      const { ref, stream } = await ctx.files.read(input.file);
      const format = input.format ?? FORMAT_BY_TYPE[ref.contentType.split(';')[0]?.trim() ?? ''] ?? 'text';
      text = textOf(
        await extractContent(format, stream, { name: ref.name, maxRows: 100_000, maxChars: MAX_TEXT_CHARS }),
      ).slice(0, MAX_TEXT_CHARS);
      if (text.trim() === '')
        throw new ConnectorError({
          code: 'E_PARAMS',
          message: `kb.upsert: the file "${ref.name}" has no text to index (read as ${format}).`,
          retryable: false,
          hint: 'Check the file (a scanned PDF has no text layer), or give "format".',
        });
    }
    const written = await ctx.client.upsert(
      { runId: ctx.node.runId },
      { collection: input.collection, id: input.id, text },
    );
    return { collection: input.collection, id: input.id, ...written };
  },
});
