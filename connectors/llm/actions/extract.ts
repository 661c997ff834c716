import { z } from 'zod';
import { ConnectorError } from '../../sdk/connector-error.ts';
import { action } from '../kit.ts';
import { invalidOutput, MaxTokensField, ModelField, Usage } from './shared.ts';

export const ExtractInput = z.strictObject({
  text: z
    .string()
    .min(1)
    .max(200_000)
    .describe('The text to extract from (an email, a ticket, a web page…).'),
  schema: z
    .record(z.string(), z.unknown())
    .describe(
      'JSON Schema of the result, e.g. {"type":"object","properties":{"name":{"type":"string"}},"required":["name"]}.',
    ),
  instructions: z
    .string()
    .max(20_000)
    .optional()
    .describe('Extra guidance: what each field means, formats, defaults.'),
  model: ModelField,
  maxTokens: MaxTokensField,
});

export const ExtractOutput = z.strictObject({
  data: z.unknown().describe('The extracted value; it matches `schema`.'),
  model: z.string().describe('The model that answered.'),
  usage: Usage,
});

/** The JSON value in a model's answer: the whole text, a fenced block, or the first {...} / [...] span. */
export function parseJsonAnswer(text: string): unknown {
  const fenced = /```(?:json)?\s*([\s\S]*?)```/i.exec(text)?.[1];
  const candidates = [text, fenced];
  const start = text.search(/[[{]/);
  const end = Math.max(text.lastIndexOf('}'), text.lastIndexOf(']'));
  if (start !== -1 && end > start) candidates.push(text.slice(start, end + 1));
  for (const candidate of candidates) {
    if (candidate === undefined) continue;
    try {
      return JSON.parse(candidate.trim());
    } catch {}
  }
  return undefined;
}

function toValidator(schema: Record<string, unknown>): z.ZodType {
  try {
    return z.fromJSONSchema(schema as Parameters<typeof z.fromJSONSchema>[0]);
  } catch (error) {
    throw new ConnectorError({
      code: 'E_PARAMS',
      message: `llm.extract: \`schema\` is not a usable JSON Schema (${error instanceof Error ? error.message : String(error)}).`,
      retryable: false,
      hint: 'Give a JSON Schema object with `type`, `properties` and `required`.',
      cause: error,
    });
  }
}

export const extract = action({
  key: 'extract',
  title: 'Extract structured data with an LLM',
  description:
    'Turn free text into JSON that matches a JSON Schema given in the node (fields from an email, an invoice, a ' +
    'ticket). The answer is checked against the schema; a non-matching answer fails the attempt and is retried.',
  effect: 'read',
  idempotent: true,
  input: ExtractInput,
  output: ExtractOutput,
  async run(input, ctx) {
    const validator = toValidator(input.schema);
    const system = [
      'You extract structured data from text.',
      'Answer with one JSON value and nothing else: no prose, no code fences.',
      `The JSON must match this JSON Schema:\n${JSON.stringify(input.schema)}`,
      'Use null for optional values the text does not contain; never invent values.',
      input.instructions ?? '',
    ]
      .filter(Boolean)
      .join('\n\n');
    const completion = await ctx.client.complete(
      {
        system,
        prompt: input.text,
        ...(input.model ? { model: input.model } : {}),
        maxTokens: input.maxTokens,
        temperature: 0,
      },
      ctx.signal,
    );
    const value = parseJsonAnswer(completion.text);
    if (value === undefined) {
      throw invalidOutput(
        'llm.extract: the model did not answer with JSON.',
        'Retried automatically. If it keeps failing, simplify the schema, add `instructions`, or use a stronger model.',
        { answerStart: completion.text.slice(0, 200) },
      );
    }
    const checked = validator.safeParse(value);
    if (!checked.success) {
      const issues = checked.error.issues
        .slice(0, 5)
        .map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`)
        .join('; ');
      throw invalidOutput(
        `llm.extract: the model's JSON does not match the schema (${issues}).`,
        'Retried automatically. If it keeps failing, describe the fields in `instructions` or relax `required`.',
      );
    }
    return { data: checked.data, model: completion.model, usage: completion.usage };
  },
});
