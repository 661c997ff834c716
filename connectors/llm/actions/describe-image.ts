import { z } from 'zod';
import { FileRef } from '../../sdk/files.ts';
import { action } from '../kit.ts';
import { askAboutFile, resolveModel } from '../media-client.ts';
import { readVisionFile } from '../media-files.ts';
import { MaxTokensField, ModelField, Usage } from './shared.ts';

export const DescribeImageInput = z.strictObject({
  file: FileRef.describe(
    'The image (PNG, JPEG, GIF, WebP) or PDF to look at: a file reference from a step output, e.g. "{{ steps.download.output.file }}".',
  ),
  prompt: z
    .string()
    .min(1)
    .max(100_000)
    .describe(
      'What to ask about the file, e.g. "Describe this photo in one sentence" or "What is the invoice total?".',
    ),
  system: z
    .string()
    .max(50_000)
    .optional()
    .describe('Optional system instructions: role, tone, format rules.'),
  model: ModelField.describe(
    'A model that reads images (and PDFs), e.g. "gpt-4o-mini" or "claude-sonnet-4-5"; defaults to the credential’s model.',
  ),
  maxTokens: MaxTokensField,
  temperature: z.number().min(0).max(2).optional().describe('Sampling temperature: 0 for stable answers.'),
  detail: z
    .enum(['auto', 'low', 'high'])
    .optional()
    .describe(
      'OpenAI only: how closely the model looks at an image (low is cheaper). Ignored for Anthropic and PDFs.',
    ),
});

export const DescribeImageOutput = z.strictObject({
  text: z.string().describe('The model’s answer.'),
  model: z.string().describe('The model that answered.'),
  stopReason: z
    .string()
    .describe('Why it stopped, e.g. stop / end_turn, or length / max_tokens when cut off.'),
  usage: Usage,
});

export const describeImage = action({
  key: 'describeImage',
  title: 'Ask an LLM about an image or PDF',
  description:
    'Send an image file (PNG, JPEG, GIF, WebP) or a PDF from an earlier step to a vision model with a question and ' +
    'get its text answer: describe a photo, read a screenshot or a scanned receipt, answer questions about a PDF. ' +
    'Reads only. For fields as JSON, follow it with llm.extract on the text.',
  effect: 'read',
  idempotent: true,
  input: DescribeImageInput,
  output: DescribeImageOutput,
  async run(input, ctx) {
    const where = 'llm.describeImage';
    // createClient refuses a step without a credential, so there is one here.
    const credential = ctx.credential!;
    const model = resolveModel(where, input.model, credential, 'gpt-4o-mini');
    const file = await readVisionFile(ctx.files, input.file, credential.provider, where);
    return askAboutFile(
      { credential, env: ctx.env, signal: ctx.signal },
      {
        file,
        prompt: input.prompt,
        system: input.system,
        model,
        maxTokens: input.maxTokens,
        temperature: input.temperature,
        detail: input.detail,
      },
    );
  },
});
