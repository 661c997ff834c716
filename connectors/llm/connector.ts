import { fileURLToPath } from 'node:url';
import { authorizationWireSecrets } from '../sdk/credential-secrets.ts';
import { defineConnector } from '../sdk/define.ts';
import { classify } from './actions/classify.ts';
import { describeImage } from './actions/describe-image.ts';
import { extract } from './actions/extract.ts';
import { generateImage } from './actions/generate-image.ts';
import { generateText } from './actions/generate-text.ts';
import { transcribe } from './actions/transcribe.ts';
import { createLlmClient, type LlmClient, LlmCredential } from './client.ts';

export const llmConnector = defineConnector<LlmCredential, LlmClient>({
  id: 'llm',
  version: '1.0.0',
  title: 'LLM',
  description:
    'Use a language model inside a workflow: generate text, extract JSON matching a schema, classify into labels. ' +
    'OpenAI, OpenAI-compatible servers (Ollama, vLLM, Groq…) and Anthropic.',
  credential: {
    type: 'llm',
    schema: LlmCredential,
    howToGet:
      'JSON with the provider and its API key: {"provider":"openai","apiKey":"sk-…","model":"gpt-4o-mini"} or ' +
      '{"provider":"anthropic","apiKey":"sk-ant-…","model":"claude-sonnet-4-5"}; for an OpenAI-compatible server add ' +
      '"baseUrl":"http://host:11434/v1".',
    // OpenAI-style servers get `Authorization: Bearer <key>`; Anthropic gets `x-api-key: <key>` (the key itself).
    publicFields: ['provider', 'baseUrl', 'model'],
    wireSecrets: (credential: LlmCredential) => authorizationWireSecrets(credential.apiKey, ['Bearer']),
  },
  createClient: createLlmClient,
  actions: [generateText, extract, classify, describeImage, transcribe, generateImage],
  triggers: [],
  docPath: fileURLToPath(new URL('./doc.md', import.meta.url)),
});
