import { zipSync } from 'fflate';
import { z } from 'zod';
import { dataError } from '../../sdk/data-error.ts';
import { defineAction } from '../../sdk/define.ts';
import { unzipBounded } from '../bounded-inflate.ts';
import { bytesOf, ContentEncoding, MaxBytes, OutputAs, toOutput } from '../content.ts';

const EntryName = z
  .string()
  .min(1)
  .max(500)
  .refine((name) => !name.startsWith('/') && !name.split('/').includes('..') && !name.includes('\\'), {
    message: 'a relative path with / separators and no ".." parts',
  });

export const ZipInput = z.strictObject({
  files: z
    .array(
      z.strictObject({
        name: EntryName.describe('Path inside the archive, e.g. "report.csv" or "data/2024.json".'),
        content: z.string().describe("The file's content: text, or base64 bytes (see encoding)."),
        encoding: ContentEncoding,
      }),
    )
    .min(1)
    .max(1_000)
    .describe('The files to put in the archive (1–1,000).'),
  level: z.int().min(0).max(9).default(6).describe('0 (store) to 9 (smallest); default 6.'),
});
export const ZipOutput = z.object({
  base64: z.string().describe('The zip file as base64.'),
  bytes: z.int().describe('Size of the zip file in bytes.'),
});

export const zip = defineAction({
  key: 'zip',
  title: 'Zip',
  description:
    'Pack files (text or base64 content) into one zip archive, returned as base64: several reports in one email ' +
    'attachment or upload.',
  effect: 'pure',
  idempotent: true,
  input: ZipInput,
  output: ZipOutput,
  async run(input) {
    const names = new Set<string>();
    const tree: Record<string, Uint8Array> = {};
    let total = 0;
    for (const file of input.files) {
      if (names.has(file.name)) {
        throw dataError(
          'E_DUPLICATE_ENTRY',
          `compression.zip: two files are named "${file.name}".`,
          'Give every file its own name.',
        );
      }
      names.add(file.name);
      const bytes = bytesOf(file.content, file.encoding, `compression.zip (${file.name})`);
      total += bytes.length;
      if (total > 20_000_000) {
        throw dataError(
          'E_TOO_LARGE',
          'compression.zip: the files add up to more than 20,000,000 bytes.',
          'Zip fewer or smaller files per step.',
        );
      }
      tree[file.name] = bytes;
    }
    const archive = zipSync(tree, {
      level: input.level as 0 | 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9,
      mtime: new Date('1980-01-01T00:00:00Z'),
    });
    return { base64: Buffer.from(archive).toString('base64'), bytes: archive.length };
  },
});

export const UnzipInput = z.strictObject({
  base64: z.string().max(7_000_000).describe('The zip archive as base64.'),
  as: OutputAs,
  maxBytes: MaxBytes.describe(
    'Stop with an error once all files together inflate past this many bytes (default 10,000,000).',
  ),
  maxEntries: z
    .int()
    .min(1)
    .max(10_000)
    .default(1_000)
    .describe('Most files read from the archive (default 1,000).'),
});
export const UnzipOutput = z.object({
  files: z
    .array(
      z.object({
        name: z.string().describe('Path inside the archive.'),
        content: z.string().describe('The content (text, or base64 with as: "base64").'),
        bytes: z.int().describe('Size in bytes.'),
      }),
    )
    .describe('The files of the archive, in archive order (folders left out).'),
});

export const unzip = defineAction({
  key: 'unzip',
  title: 'Unzip',
  description:
    'Unpack a zip archive given as base64 into its files (text or base64 content), with caps on total size and ' +
    'file count so a zip bomb stops with an error.',
  effect: 'pure',
  idempotent: true,
  input: UnzipInput,
  output: UnzipOutput,
  async run(input) {
    const where = 'compression.unzip';
    const entries = unzipBounded(
      bytesOf(input.base64, 'base64', where),
      input.maxBytes,
      input.maxEntries,
      where,
    );
    return {
      files: entries.map((entry) => ({
        name: entry.name,
        content: toOutput(entry.bytes, input.as, `${where} (${entry.name})`),
        bytes: entry.bytes.length,
      })),
    };
  },
});
