import Fastify, { type FastifyInstance } from 'fastify';
import { z } from 'zod';
import { createHashingEmbedder } from './hashing-embedder.ts';

const EmbeddingsRequest = z.object({
  model: z.string(),
  input: z.union([z.string(), z.array(z.string())]),
  encoding_format: z.enum(['float', 'base64']).optional(),
  dimensions: z.number().int().positive().optional(),
});

export type EmbeddingsFake = {
  url: string;
  requests: { model: string; inputs: string[]; authorization: string | undefined }[];
  /** The next N requests answer 429 with Retry-After: 0, in OpenAI's error format. */
  failNext(count: number): void;
  close(): Promise<void>;
};

/**
 * A local stand-in for OpenAI's `POST /v1/embeddings`, speaking its wire format: float or base64
 * (little-endian float32) embeddings, `usage`, and `{ error: { message, type, code } }` errors.
 * Vectors come from the hashing embedder, so similar texts get similar vectors.
 */
export async function startEmbeddingsFake(options: { dims?: number } = {}): Promise<EmbeddingsFake> {
  const dims = options.dims ?? 1536;
  const app: FastifyInstance = Fastify({ logger: false });
  const requests: EmbeddingsFake['requests'] = [];
  let failures = 0;
  app.post('/v1/embeddings', async (request, reply) => {
    const parsed = EmbeddingsRequest.safeParse(request.body);
    if (!parsed.success) {
      return reply.code(400).send({
        error: { message: parsed.error.message, type: 'invalid_request_error', param: null, code: null },
      });
    }
    const inputs = typeof parsed.data.input === 'string' ? [parsed.data.input] : parsed.data.input;
    requests.push({ model: parsed.data.model, inputs, authorization: request.headers.authorization });
    if (failures > 0) {
      failures--;
      return reply
        .code(429)
        .header('retry-after', '0')
        .send({
          error: {
            message: 'Rate limit reached',
            type: 'requests',
            param: null,
            code: 'rate_limit_exceeded',
          },
        });
    }
    const embedder = createHashingEmbedder({ dims: parsed.data.dimensions ?? dims });
    const vectors = await embedder.embedDocuments(inputs);
    return {
      object: 'list',
      model: parsed.data.model,
      data: vectors.map((vector, index) => ({
        object: 'embedding',
        index,
        embedding:
          parsed.data.encoding_format === 'base64'
            ? Buffer.from(Float32Array.from(vector).buffer).toString('base64')
            : vector,
      })),
      usage: { prompt_tokens: inputs.length, total_tokens: inputs.length },
    };
  });
  const address = await app.listen({ host: '127.0.0.1', port: 0 });
  return {
    url: `${address}/v1`,
    requests,
    failNext(count) {
      failures = count;
    },
    close: () => app.close(),
  };
}
