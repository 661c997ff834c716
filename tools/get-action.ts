import { z } from 'zod';
import { AppError, err, ok } from '../lib/index.ts';
import { defineTool } from './define-tool.ts';
import { docSnippet, markThirdParty, UntrustedValue } from './untrusted.ts';

function jsonSchemaOf(schema: z.ZodType | undefined): unknown {
  if (!schema) return null;
  try {
    const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, {
      io: 'input',
      unrepresentable: 'any',
    }) as Record<string, unknown>;
    return rest;
  } catch {
    return null;
  }
}

export const getActionTool = defineTool({
  name: 'get_action',
  effect: 'read',
  description:
    'Get one action or core node by its `uses` name (e.g. "slack.postMessage", "core.if"): description, the JSON Schema of its `with` parameters and of its output, whether it writes, the credential type it needs, and its documentation. Call it for every action you put in a draft.',
  input: z.object({ uses: z.string().min(3).max(130).describe('"<connector>.<action>" or "core.<node>".') }),
  output: z.object({
    uses: z.string(),
    title: z.union([z.string(), UntrustedValue]),
    description: z.union([z.string(), UntrustedValue]),
    effect: z.string(),
    /** Null for core nodes. */
    idempotent: z.boolean().nullable(),
    credentialType: z.string().nullable(),
    parameters: z.unknown(),
    output: z.unknown(),
    docs: z.array(z.union([z.string(), UntrustedValue])),
  }),
  async run(input, ctx) {
    const entry = ctx.catalog.lookupAction(input.uses);
    if (!entry) {
      const near = ctx.catalog
        .actions()
        .map((candidate) => candidate.uses)
        .filter(
          (uses) =>
            uses.split('.')[0] === input.uses.split('.')[0] ||
            uses.toLowerCase().includes(input.uses.split('.').at(-1)?.toLowerCase() ?? ''),
        )
        .slice(0, 10);
      return err(
        new AppError({
          code: 'E_UNKNOWN_ACTION',
          message: `There is no action "${input.uses}".`,
          hint: near.length
            ? `Did you mean one of: ${near.join(', ')}?`
            : 'Call list_connectors to see every action.',
        }),
      );
    }
    const docs = ctx.docs ? await ctx.docs.search(`${entry.uses} ${entry.title}`, { k: 3 }) : [];
    const imported = entry.origin === 'imported';
    return ok({
      uses: entry.uses,
      title: imported ? markThirdParty(entry.title) : entry.title,
      description: imported ? markThirdParty(entry.description) : entry.description,
      effect: entry.effect,
      idempotent: entry.idempotent ?? null,
      credentialType: entry.credentialType ?? null,
      // An imported action's schema carries the third party's field descriptions.
      parameters: imported ? markThirdParty(jsonSchemaOf(entry.input)) : jsonSchemaOf(entry.input),
      output: imported ? markThirdParty(jsonSchemaOf(entry.output)) : jsonSchemaOf(entry.output),
      docs: docs.map((hit) => docSnippet(hit, 1_500)),
    });
  },
});
