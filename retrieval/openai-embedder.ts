import type OpenAI from 'openai';
import type { Embedder } from './embedder.ts';

export const OPENAI_EMBEDDING_MODEL = 'text-embedding-3-small';

/** OpenAI embeddings through the official SDK (OPENAI_BASE_URL honoured, so OpenAI-compatible servers work too). */
export function createOpenAiEmbedder(options: {
  apiKey: string;
  baseURL?: string;
  model?: string;
  /** text-embedding-3-small returns 1536 dimensions unless told fewer. */
  dims?: number;
  batchSize?: number;
  fetch?: typeof fetch;
}): Embedder {
  const model = options.model ?? OPENAI_EMBEDDING_MODEL;
  const dims = options.dims ?? 1536;
  const batchSize = options.batchSize ?? 256;
  let client: OpenAI | undefined;
  // The SDK loads on the first embedding, not when the app starts.
  async function openai(): Promise<OpenAI> {
    const Sdk = (await import('openai')).default;
    client ??= new Sdk({
      apiKey: options.apiKey,
      baseURL: options.baseURL,
      maxRetries: 3,
      ...(options.fetch ? { fetch: options.fetch } : {}),
    });
    return client;
  }

  async function embedBatch(texts: string[]): Promise<number[][]> {
    const response = await (await openai()).embeddings.create({
      model,
      input: texts,
      ...(options.dims ? { dimensions: dims } : {}),
    });
    const vectors = [...response.data].sort((a, b) => a.index - b.index).map((item) => item.embedding);
    if (vectors.length !== texts.length) {
      throw new Error(`Embeddings endpoint returned ${vectors.length} vectors for ${texts.length} inputs.`);
    }
    for (const vector of vectors) {
      if (vector.length !== dims) {
        throw new Error(
          `Embeddings model ${model} returned ${vector.length} dimensions, expected ${dims}: set dims to match the model.`,
        );
      }
    }
    return vectors;
  }

  return {
    model: `openai:${model}${options.dims ? `@${dims}` : ''}`,
    dims,
    async embedDocuments(texts) {
      const out: number[][] = [];
      for (let i = 0; i < texts.length; i += batchSize)
        out.push(...(await embedBatch(texts.slice(i, i + batchSize))));
      return out;
    },
    async embedQuery(text) {
      const [vector] = await embedBatch([text]);
      if (!vector) throw new Error('Embeddings endpoint returned no vector for the query.');
      return vector;
    },
  };
}
