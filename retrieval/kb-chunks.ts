import type { RecursiveCharacterTextSplitter } from '@langchain/textsplitters';

/** Chunk size and overlap of knowledge-base documents (characters): a paragraph or two, with context kept. */
export const KB_CHUNK_SIZE = 1000;
export const KB_CHUNK_OVERLAP = 150;

let splitter: RecursiveCharacterTextSplitter | undefined;

/** Cuts a document into chunks: paragraphs, then lines, sentences and words (LangChain's recursive splitter). */
export async function chunkDocument(text: string): Promise<string[]> {
  const trimmed = text.trim();
  if (!trimmed) return [];
  const { RecursiveCharacterTextSplitter: Splitter } = await import('@langchain/textsplitters');
  splitter ??= new Splitter({ chunkSize: KB_CHUNK_SIZE, chunkOverlap: KB_CHUNK_OVERLAP });
  const chunks = await splitter.splitText(trimmed);
  return chunks.map((chunk) => chunk.trim()).filter((chunk) => chunk.length > 0);
}
