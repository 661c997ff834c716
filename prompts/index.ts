export { type AssembledPrompt, loadSystemPrompt, PROMPT_FILES } from './load-prompts.ts';
