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
  /** Stops a parse running in a worker thread (the step's timeout, a cancelled run). */
  signal?: AbortSignal | undefined;
};

/** The formats read into memory whole and parsed in a worker thread (parse-pool.ts); csv and text stream. */
export type WholeFileFormat = Exclude<FileFormat, 'csv' | 'text'>;

export type Row = Record<string, unknown>;
export type Extracted = { rows: Row[] } | { text: string } | { data: unknown };
export type Extractor = (stream: ReadableStream<Uint8Array>, options: ExtractOptions) => Promise<Extracted>;
export type { FileFormat };
