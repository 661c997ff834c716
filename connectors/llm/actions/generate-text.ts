import { z } from 'zod';
import { action } from '../kit.ts';
import { MaxTokensField, ModelField, Usage } from './shared.ts';

export const GenerateTextInput = z.strictObject({
  prompt: z.string().min(1).max(200_000).describe('What to ask or write; include the data the model needs.'),
  system: z
    .string()
    .max(50_000)
    .optional()
    .describe('Optional system instructions: role, tone, format rules.'),
  model: ModelField,
  maxTokens: MaxTokensField,
  temperature: z
    .number()
    .min(0)
    .max(2)
    .optional()
    .describe('Sampling temperature: 0 for stable answers, higher for variety.'),
});

export const GenerateTextOutput = z.strictObject({
  text: z.string().describe('The model’s answer.'),
  model: z.string().describe('The model that answered.'),
  stopReason: z
    .string()
    .describe('Why it stopped, e.g. stop / end_turn, or length / max_tokens when cut off.'),
  usage: Usage,
});

export const generateText = action({
  key: 'generateText',
  title: 'Generate text with an LLM',
  description:
    'Ask a language model (OpenAI, OpenAI-compatible or Anthropic) for text: summaries, drafts, replies, translations. ' +
    'Reads only; for structured data use llm.extract, for picking a category use llm.classify.',
  effect: 'read',
  idempotent: true,
  input: GenerateTextInput,
  output: GenerateTextOutput,
  async run(input, ctx) {
    return ctx.client.complete(
      {
        prompt: input.prompt,
        ...(input.system ? { system: input.system } : {}),
        ...(input.model ? { model: input.model } : {}),
        maxTokens: input.maxTokens,
        ...(input.temperature === undefined ? {} : { temperature: input.temperature }),
      },
      ctx.signal,
    );
  },
});
