import { z } from 'zod';
import type { GoogleApiSpec } from '../google/client.ts';

export const DOCS_API_URL = 'https://docs.googleapis.com/v1';
export const DOCS_SCOPE = 'https://www.googleapis.com/auth/documents';

export const docsApi: GoogleApiSpec = {
  connector: 'googledocs',
  apiName: 'Google Docs API',
  baseUrl: DOCS_API_URL,
  scopes: [DOCS_SCOPE],
  acceptedScopes: [
    'https://www.googleapis.com/auth/drive',
    'https://www.googleapis.com/auth/drive.file',
    'https://www.googleapis.com/auth/documents.readonly',
  ],
  shared: 'the document',
  hints: {
    400: 'Check the parameters the message names (an index inside the document, text that is not empty).',
    404: "Check the documentId: the part of the document's URL between /d/ and /edit.",
  },
};

/** A document id, or the document's whole URL. */
export const DocumentId = z
  .string()
  .trim()
  .min(1)
  .max(500)
  .transform((value, ctx) => {
    const id = /\/document\/d\/([A-Za-z0-9_-]+)/.exec(value)?.[1] ?? value;
    if (!/^[A-Za-z0-9_-]{10,100}$/.test(id)) {
      ctx.addIssue({
        code: 'custom',
        message: 'a document id (from the URL, between /d/ and /edit) or the URL',
      });
      return z.NEVER;
    }
    return id;
  })
  .describe(
    'The document: its id (the part of the URL between /d/ and /edit, e.g. "1HvKp7bS0s3mWq1x9bZ2nY8aQ4rT6uV0wX2yZ4aB6cD8") or the whole URL.',
  );

export const documentUrl = (id: string) =>
  `https://docs.google.com/document/d/${encodeURIComponent(id)}/edit`;

type Element = {
  paragraph?: { elements?: { textRun?: { content?: string } }[] } | undefined;
  table?: { tableRows?: { tableCells?: { content?: Element[] }[] }[] } | undefined;
  tableOfContents?: { content?: Element[] } | undefined;
};

const StructuralElement: z.ZodType<Element> = z.lazy(() =>
  z.object({
    paragraph: z
      .object({
        elements: z
          .array(
            z.object({ textRun: z.object({ content: z.string().optional() }).loose().optional() }).loose(),
          )
          .optional(),
      })
      .loose()
      .optional(),
    table: z
      .object({
        tableRows: z
          .array(
            z
              .object({
                tableCells: z
                  .array(z.object({ content: z.array(StructuralElement).optional() }).loose())
                  .optional(),
              })
              .loose(),
          )
          .optional(),
      })
      .loose()
      .optional(),
    tableOfContents: z
      .object({ content: z.array(StructuralElement).optional() })
      .loose()
      .optional(),
  }),
);

export const DocumentBody = z.object({
  documentId: z.string(),
  title: z.string().default(''),
  revisionId: z.string().optional(),
  body: z.object({ content: z.array(StructuralElement).max(100_000).default([]) }).optional(),
});

/** The document's text: paragraphs' text runs in order, tables cell by cell (Docs ends each paragraph with \n). */
export function plainText(elements: readonly Element[]): string {
  return elements
    .map((element) => {
      if (element.paragraph)
        return (element.paragraph.elements ?? []).map((run) => run.textRun?.content ?? '').join('');
      if (element.table)
        return (element.table.tableRows ?? [])
          .map((row) => (row.tableCells ?? []).map((cell) => plainText(cell.content ?? []).trim()).join('\t'))
          .join('\n')
          .concat('\n');
      if (element.tableOfContents) return plainText(element.tableOfContents.content ?? []);
      return '';
    })
    .join('');
}
