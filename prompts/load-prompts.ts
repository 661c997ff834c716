import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The prompt files, in the order they are assembled. Edit the files; the version id follows their content. */
export const PROMPT_FILES = ['system.md', 'tool-guidance.md'] as const;

export type AssembledPrompt = {
  /** `p1-<first 12 hex of sha256>`: changes whenever a prompt file changes; stored with each turn for evals. */
  version: string;
  text: string;
};

const here = dirname(fileURLToPath(import.meta.url));
let cached: AssembledPrompt | undefined;

/** Reads and assembles the system prompt once (at start); the same text every turn keeps it cacheable. */
export function loadSystemPrompt(directory: string = here): AssembledPrompt {
  if (directory === here && cached) return cached;
  const text = PROMPT_FILES.map((file) => readFileSync(join(directory, file), 'utf8').trim()).join('\n\n');
  const version = `p1-${createHash('sha256').update(text).digest('hex').slice(0, 12)}`;
  const prompt = { version, text };
  if (directory === here) cached = prompt;
  return prompt;
}
