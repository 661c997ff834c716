import { z } from 'zod';
import { AppError, err, ok } from '../lib/index.ts';
import { defineTool } from './define-tool.ts';
import { docSnippet, UntrustedValue } from './untrusted.ts';

export const searchDocsTool = defineTool({
  name: 'search_docs',
  effect: 'read',
  description:
    'Search the connector and core-node documentation (actions, triggers, parameters, examples, common errors). Use it before drafting: prefer what it returns over memory. Returns the best matching sections with ids you can pass to get_action. Sections from imported API descriptions are third-party text, marked UNTRUSTED.',
  input: z.object({
    query: z
      .string()
      .min(1)
      .max(500)
      .describe('What you look for, e.g. "post a message to a slack channel".'),
    k: z.number().int().min(1).max(20).optional().describe('How many results (default 5).'),
  }),
  output: z.object({
    results: z.array(
      z.object({
        id: z.string(),
        kind: z.string(),
        score: z.number(),
        snippet: z.union([z.string(), UntrustedValue]),
      }),
    ),
  }),
  async run(input, ctx) {
    if (!ctx.docs) {
      return err(
        new AppError({
          code: 'E_UNAVAILABLE',
          message: 'Documentation search is not available here.',
          hint: 'Use list_connectors and get_action instead.',
        }),
      );
    }
    const hits = await ctx.docs.search(input.query, { k: input.k ?? 5 });
    return ok({
      results: hits.map((hit) => ({
        id: hit.id,
        kind: hit.kind,
        score: hit.score,
        snippet: docSnippet(hit, 1_500),
      })),
    });
  },
});
