import type { MarkdownTextSplitter } from '@langchain/textsplitters';
import type { DocSource } from './doc-source.ts';

/** Bump when chunking changes: every source's hash changes with it, so the index re-chunks. */
export const CHUNKER_VERSION = 'md-1000-120-v1';

let splitter: MarkdownTextSplitter | undefined;

/** Splits a source into chunks (markdown-aware: headings, code fences, paragraphs, then sentences). */
export async function chunkSource(source: DocSource): Promise<string[]> {
  const text = source.text.trim();
  if (!text) return [];
  // The splitter (and LangChain) loads when the index first syncs, not when the app starts.
  const { MarkdownTextSplitter: Splitter } = await import('@langchain/textsplitters');
  splitter ??= new Splitter({ chunkSize: 1000, chunkOverlap: 120 });
  const chunks = await splitter.splitText(text);
  return chunks.map((chunk) => chunk.trim()).filter((chunk) => chunk.length > 0);
}

/** What the embedder sees for one chunk: the documented id and title give every chunk its context. */
export function embeddingText(source: Pick<DocSource, 'docId' | 'title'>, chunk: string): string {
  return `${source.docId} ${source.title}\n${chunk}`;
}
