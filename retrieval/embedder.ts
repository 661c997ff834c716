/**
 * The embedding provider interface: LangChain's `Embeddings` shape (embedDocuments / embedQuery), plus the
 * model name and dimension stored beside every vector (a different model or dimension means re-embedding).
 */
export type Embedder = {
  /** Stored with each vector, e.g. `hashing-v1-512` or `openai:text-embedding-3-small`. */
  readonly model: string;
  readonly dims: number;
  embedDocuments(texts: string[]): Promise<number[][]>;
  embedQuery(text: string): Promise<number[]>;
};
