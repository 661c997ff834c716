import type { Embedder } from './embedder.ts';
import { createHashingEmbedder } from './hashing-embedder.ts';
import { createOpenAiEmbedder } from './openai-embedder.ts';

/**
 * The embedder the environment asks for: OpenAI `text-embedding-3-small` when OPENAI_API_KEY is set
 * (OPENAI_BASE_URL honoured), else the offline hashing embedder. VMESH_EMBEDDINGS=hashing forces offline.
 */
export function createEmbedder(env: NodeJS.ProcessEnv = process.env): Embedder {
  const apiKey = env.OPENAI_API_KEY?.trim();
  if (apiKey && env.VMESH_EMBEDDINGS !== 'hashing') {
    return createOpenAiEmbedder({ apiKey, baseURL: env.OPENAI_BASE_URL || undefined });
  }
  return createHashingEmbedder();
}
