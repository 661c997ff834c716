import { z } from 'zod';
import { describeNamed } from '../../sdk/describe-target.ts';
import { DocumentId } from '../client.ts';
import { rest } from '../kit.ts';

const BatchBody = z.object({
  documentId: z.string(),
  writeControl: z.object({ requiredRevisionId: z.string().optional() }).optional(),
});

export const appendText = rest.action({
  key: 'appendText',
  title: 'Append text to a Google Doc',
  description:
    'Add text at the end of a Google Docs document (a log line, a summary, a new paragraph); the rest of the document stays as it is.',
  effect: 'write',
  // Appending twice adds the text twice.
  idempotent: false,
  describeTarget: (withValue) => describeNamed('the Google Doc', withValue.documentId),
  input: z.strictObject({
    documentId: DocumentId,
    text: z
      .string()
      .min(1)
      .max(1_000_000)
      .describe(
        'The text to add, e.g. "\\n2026-12-04: call with Acme, next step pricing". Start it with \\n for a new paragraph.',
      ),
  }),
  output: z.object({
    documentId: z.string().describe('The document written to.'),
    revisionId: z.string().nullable().describe('Its revision after the write.'),
  }),
  http: {
    method: 'POST',
    path: '/documents/{documentId}:batchUpdate',
    json: (input) => ({ requests: [{ insertText: { text: input.text, endOfSegmentLocation: {} } }] }),
  },
  project: (response) => {
    const body = BatchBody.parse(response.body);
    return { documentId: body.documentId, revisionId: body.writeControl?.requiredRevisionId ?? null };
  },
});
