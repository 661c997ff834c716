import { z } from 'zod';
import { AppError, err, ok } from '../lib/index.ts';
import { defineTool } from './define-tool.ts';

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
    title: z.string(),
    description: z.string(),
    effect: z.string(),
    credentialType: z.string().nullable(),
    parameters: z.unknown(),
    output: z.unknown(),
    docs: z.array(z.string()),
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
    return ok({
      uses: entry.uses,
      title: entry.title,
      description: entry.description,
      effect: entry.effect,
      credentialType: entry.credentialType ?? null,
      parameters: jsonSchemaOf(entry.input),
      output: jsonSchemaOf(entry.output),
      docs: docs.map((hit) => hit.snippet.slice(0, 1_500)),
    });
  },
});
