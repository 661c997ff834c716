import { z } from 'zod';
import { describeNamed } from '../../sdk/describe-target.ts';
import { DocumentBody, documentUrl } from '../client.ts';
import { docsAction } from '../kit.ts';

const BatchBody = z.object({
  writeControl: z.object({ requiredRevisionId: z.string().optional() }).optional(),
});

export const createDocument = docsAction({
  key: 'createDocument',
  title: 'Create a Google Doc',
  description:
    "Create a new Google Docs document in the account's My Drive with a title and, optionally, its first text (e.g. meeting notes, a draft).",
  effect: 'write',
  // Docs has no idempotency key: a retry after a lost answer may create a second document.
  idempotent: false,
  describeTarget: (withValue) => describeNamed('a new Google Doc', withValue.title),
  input: z.strictObject({
    title: z.string().min(1).max(500).describe('The document title, e.g. "Meeting notes 2026-12-04".'),
    text: z
      .string()
      .max(1_000_000)
      .optional()
      .describe('Text to start it with (plain text; line breaks make paragraphs).'),
  }),
  output: z.object({
    documentId: z.string().describe("The new document's id."),
    title: z.string().describe('Its title.'),
    url: z.string().describe('Link to open it.'),
    revisionId: z.string().nullable().describe('Its revision after the write.'),
  }),
  async run(input, ctx) {
    const created = DocumentBody.parse(
      (
        await ctx.client.send(
          { method: 'POST', path: '/documents', json: { title: input.title } },
          ctx.signal,
        )
      ).body,
    );
    let revisionId = created.revisionId ?? null;
    if (input.text) {
      const response = await ctx.client.send(
        {
          method: 'POST',
          path: `/documents/${encodeURIComponent(created.documentId)}:batchUpdate`,
          json: { requests: [{ insertText: { text: input.text, location: { index: 1 } } }] },
        },
        ctx.signal,
      );
      revisionId = BatchBody.parse(response.body).writeControl?.requiredRevisionId ?? revisionId;
    }
    return {
      documentId: created.documentId,
      title: created.title,
      url: documentUrl(created.documentId),
      revisionId,
    };
  },
});
