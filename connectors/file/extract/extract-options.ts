import type { FileFormat } from '../formats.ts';

export type ExtractOptions = {
  /** The file's name, for error messages. */
  name: string;
  /** csv: the field separator. */
  delimiter?: string | undefined;
  /** xlsx: the worksheet to read (default the first). */
  sheet?: string | undefined;
  maxRows: number;
  maxChars: number;
};

export type Row = Record<string, unknown>;
export type Extracted = { rows: Row[] } | { text: string } | { data: unknown };
export type Extractor = (stream: ReadableStream<Uint8Array>, options: ExtractOptions) => Promise<Extracted>;
export type { FileFormat };
