import { z } from 'zod';
import { action } from '../kit.ts';
import { invalidOutput, ModelField, Usage } from './shared.ts';

export const ClassifyInput = z.strictObject({
  text: z.string().min(1).max(200_000).describe('The text to classify.'),
  labels: z
    .array(z.string().min(1).max(200))
    .min(2)
    .max(100)
    .refine((labels) => new Set(labels).size === labels.length, 'labels must be unique')
    .describe('The allowed labels; the answer is exactly one of them, e.g. ["bug", "feature", "question"].'),
  instructions: z.string().max(20_000).optional().describe('What each label means, tie-break rules.'),
  model: ModelField,
});

export const ClassifyOutput = z.strictObject({
  label: z.string().describe('The chosen label, exactly as given in `labels`.'),
  model: z.string().describe('The model that answered.'),
  usage: Usage,
});

const normalize = (value: string) =>
  value
    .trim()
    .toLowerCase()
    .replace(/^["'`*\s]+|["'`*.\s]+$/g, '');

/** Which label an answer names: an exact (case-insensitive) match, else the only label it mentions. */
export function matchLabel(answer: string, labels: readonly string[]): string | undefined {
  const wanted = normalize(answer);
  const exact = labels.find((label) => normalize(label) === wanted);
  if (exact) return exact;
  const mentioned = labels.filter((label) => wanted.includes(normalize(label)));
  return mentioned.length === 1 ? mentioned[0] : undefined;
}

export const classify = action({
  key: 'classify',
  title: 'Classify text into one label with an LLM',
  description:
    'Pick exactly one label from a given list for a text (triage a ticket, route a message, detect sentiment). ' +
    'Use its output with core.switch to branch.',
  effect: 'read',
  idempotent: true,
  input: ClassifyInput,
  output: ClassifyOutput,
  async run(input, ctx) {
    const system = [
      'You classify text. Answer with exactly one of these labels and nothing else:',
      input.labels.map((label) => `- ${label}`).join('\n'),
      input.instructions ?? '',
    ]
      .filter(Boolean)
      .join('\n\n');
    const completion = await ctx.client.complete(
      {
        system,
        prompt: input.text,
        ...(input.model ? { model: input.model } : {}),
        maxTokens: 64,
        temperature: 0,
      },
      ctx.signal,
    );
    const label = matchLabel(completion.text, input.labels);
    if (!label) {
      throw invalidOutput(
        `llm.classify: the model answered "${completion.text.slice(0, 100)}", which is not one of the labels.`,
        'Retried automatically. If it keeps failing, make the labels distinct words and explain them in `instructions`.',
      );
    }
    return { label, model: completion.model, usage: completion.usage };
  },
});
