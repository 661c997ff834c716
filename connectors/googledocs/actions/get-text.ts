import { z } from 'zod';
import { DocumentBody, DocumentId, documentUrl, plainText } from '../client.ts';
import { rest } from '../kit.ts';

export const getText = rest.action({
  key: 'getText',
  title: 'Get the text of a Google Doc',
  description:
    'Read a Google Docs document as plain text (paragraphs and table cells in order), e.g. to summarise it or extract fields.',
  effect: 'read',
  idempotent: true,
  input: z.strictObject({ documentId: DocumentId }),
  output: z.object({
    documentId: z.string().describe('The document id.'),
    title: z.string().describe('Its title.'),
    text: z.string().describe('The text, one line per paragraph; table cells separated by tabs.'),
    url: z.string().describe('Link to open it.'),
    revisionId: z.string().nullable().describe('The revision read.'),
  }),
  http: { method: 'GET', path: '/documents/{documentId}', query: () => ({ includeTabsContent: false }) },
  project: (response) => {
    const body = DocumentBody.parse(response.body);
    return {
      documentId: body.documentId,
      title: body.title,
      text: plainText(body.body?.content ?? []),
      url: documentUrl(body.documentId),
      revisionId: body.revisionId ?? null,
    };
  },
});
