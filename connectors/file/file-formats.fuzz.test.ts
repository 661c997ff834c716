import ExcelJS from 'exceljs';
import fc from 'fast-check';
import { zipSync } from 'fflate';
import { beforeAll, describe, expect, it } from 'vitest';
import { ConnectorError } from '../sdk/connector-error.ts';
import { extractContent } from './extract/index.ts';
import { ExtractFormat, type FileFormat } from './formats.ts';
import { bytesStream } from './testing/bytes-stream.ts';
import { minimalPdf } from './testing/minimal-pdf.ts';
import { tinyDocx } from './testing/tiny-docx.ts';

// Malformed input for every format: whatever the bytes, file.extract resolves with its output shape or fails with
// a ConnectorError the step can report (E_FILE_FORMAT, E_FILE_LIMIT, E_FILE_SHEET); never another exception, a
// RangeError from deep nesting, or a zip inflated past its caps.

const FILE_CODES = ['E_FILE_FORMAT', 'E_FILE_LIMIT', 'E_FILE_SHEET'];
const OUTPUT_KEY: Record<FileFormat, string> = {
  csv: 'rows',
  xlsx: 'rows',
  pdf: 'text',
  text: 'text',
  docx: 'text',
  html: 'text',
  json: 'data',
  xml: 'data',
};

function extract(format: FileFormat, bytes: Uint8Array | string) {
  return extractContent(format, bytesStream(bytes, 4_096), {
    name: `fuzz.${format}`,
    maxRows: 1_000,
    maxChars: 100_000,
  });
}

/** Resolves with the output, or with the ConnectorError; any other failure fails the test. */
async function settle(format: FileFormat, bytes: Uint8Array | string): Promise<unknown> {
  try {
    const output = await extract(format, bytes);
    expect(Object.keys(output)).toEqual([OUTPUT_KEY[format]]);
    return output;
  } catch (error) {
    if (!(error instanceof ConnectorError)) throw error;
    expect(FILE_CODES).toContain(error.code);
    expect(error.retryable).toBe(false);
    expect(error.message.length).toBeGreaterThan(10);
    return error;
  }
}

async function code(format: FileFormat, bytes: Uint8Array | string): Promise<string> {
  const settled = await settle(format, bytes);
  return settled instanceof ConnectorError ? settled.code : 'ok';
}

let xlsx: Uint8Array;
const pdf = minimalPdf([['Invoice 7', 'Total: 10.00']]);
const docx = tinyDocx(['hello', 'world']);

beforeAll(async () => {
  const workbook = new ExcelJS.Workbook();
  const sheet = workbook.addWorksheet('Data');
  sheet.addRow(['a', 'b']);
  sheet.addRow([1, 'x']);
  xlsx = new Uint8Array(await workbook.xlsx.writeBuffer());
});

/** Sets the declared uncompressed size of every central-directory entry of a zip (a lying header). */
function declareSizes(zip: Uint8Array, size: number): Uint8Array {
  const out = zip.slice();
  const view = new DataView(out.buffer);
  for (let i = 0; i + 46 <= out.length; i++) {
    if (view.getUint32(i, true) === 0x02014b50) view.setUint32(i + 24, size, true);
  }
  return out;
}

describe('random bytes', () => {
  it.each(ExtractFormat.options)('%s: random bytes give the output shape or a file error', async (format) => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 0, maxLength: 2_000 }), async (bytes) => {
        await settle(format, bytes);
      }),
      { numRuns: format === 'pdf' || format === 'xlsx' || format === 'docx' ? 60 : 150 },
    );
  });

  it('binary bytes are refused as text formats with E_FILE_FORMAT ("not UTF-8")', async () => {
    const binary = new Uint8Array([0xff, 0xfe, 0x00, 0x81, 0xc3, 0x28, 0xa0, 0xa1]);
    for (const format of ['csv', 'text', 'json', 'xml', 'html'] as const) {
      const error = await settle(format, binary);
      expect(error).toMatchObject({ code: 'E_FILE_FORMAT', message: expect.stringContaining('UTF-8') });
    }
  });
});

describe('damaged files', () => {
  it('a PDF cut anywhere, or with bytes flipped, gives text or E_FILE_FORMAT', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: pdf.length - 1 }), async (cut) => {
        await settle('pdf', pdf.slice(0, cut));
      }),
      { numRuns: 60 },
    );
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: pdf.length - 1 }),
        fc.integer({ min: 0, max: 255 }),
        async (at, value) => {
          const damaged = pdf.slice();
          damaged[at] = value;
          await settle('pdf', damaged);
        },
      ),
      { numRuns: 60 },
    );
    expect(await code('pdf', pdf.slice(0, 200))).toBe('E_FILE_FORMAT');
    expect(await code('pdf', 'not a pdf at all')).toBe('E_FILE_FORMAT');
  });

  it('an xlsx or docx cut or with bytes flipped gives rows/text or E_FILE_FORMAT', async () => {
    for (const [format, file] of [
      ['xlsx', () => xlsx],
      ['docx', () => docx],
    ] as const) {
      await fc.assert(
        fc.asyncProperty(fc.integer({ min: 0, max: file().length - 1 }), async (cut) => {
          await settle(format, file().slice(0, cut));
        }),
        { numRuns: 40 },
      );
      await fc.assert(
        fc.asyncProperty(
          fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }),
          async (flips) => {
            const damaged = file().slice();
            for (const [at, value] of flips) damaged[at % damaged.length] = value;
            await settle(format, damaged);
          },
        ),
        { numRuns: 40 },
      );
      expect(await code(format, file().slice(0, file().length - 30))).toBe('E_FILE_FORMAT');
    }
  });

  it('a docx read as xlsx (and the other way round) fails clearly', async () => {
    expect(await code('xlsx', docx)).toBe('E_FILE_FORMAT');
    expect(await code('docx', xlsx)).toBe('E_FILE_FORMAT');
    expect(await code('xlsx', pdf)).toBe('E_FILE_FORMAT');
  });
});

describe('bombs', () => {
  it('a zip bomb (50 MiB of zeros in a few hundred KiB) is refused from its declared size, before it is inflated', async () => {
    const bomb = zipSync({ 'word/document.xml': new Uint8Array(50 * 1024 * 1024) }, { level: 1 });
    expect(bomb.length).toBeLessThan(1_000_000);
    for (const format of ['xlsx', 'docx'] as const) {
      const error = await settle(format, bomb);
      expect(error).toMatchObject({
        code: 'E_FILE_LIMIT',
        message: expect.stringContaining('unpacks to more than'),
      });
    }
  });

  it('a zip bomb that lies about its sizes is inflated only as far as it claims, so the library gets a broken file', async () => {
    const liar = declareSizes(
      zipSync({ 'word/document.xml': new Uint8Array(50 * 1024 * 1024) }, { level: 1 }),
      100,
    );
    expect(await code('docx', liar)).toBe('E_FILE_FORMAT');
    expect(await code('xlsx', liar)).toBe('E_FILE_FORMAT');
  });

  it('a zip of thousands of entries is refused', async () => {
    const many: Record<string, Uint8Array> = {};
    for (let i = 0; i < 5_001; i++) many[`x/${i}.xml`] = new Uint8Array(1);
    expect(await code('xlsx', zipSync(many, { level: 0 }))).toBe('E_FILE_LIMIT');
  });

  it('billion laughs: XML that declares entities is refused, nothing is expanded', async () => {
    const lol = [
      '<?xml version="1.0"?>',
      '<!DOCTYPE lolz [<!ENTITY lol "lol">',
      ...Array.from({ length: 9 }, (_, i) => {
        const previous = i === 0 ? 'lol' : `lol${i}`;
        return `<!ENTITY lol${i + 1} "${`&${previous};`.repeat(10)}">`;
      }),
      ']><lolz>&lol9;</lolz>',
    ].join('\n');
    const error = await settle('xml', lol);
    expect(error).toMatchObject({ code: 'E_FILE_FORMAT', message: expect.stringContaining('entities') });
    const external = '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>';
    expect(await code('xml', external)).toBe('E_FILE_FORMAT');
    // The predefined entities still work.
    expect(await extract('xml', '<a>1 &amp; 2 &lt; 3</a>')).toEqual({ data: { a: '1 & 2 < 3' } });
  });

  it('deep nesting: html gives text, json and xml a clear E_FILE_LIMIT', async () => {
    const depth = 100_000;
    const html = `${'<div>'.repeat(depth)}deep${'</div>'.repeat(depth)}<p>after</p>`;
    const out = await settle('html', html);
    expect(out).toEqual({ text: expect.stringContaining('after') });
    expect(await code('json', `${'['.repeat(depth)}${']'.repeat(depth)}`)).toBe('E_FILE_LIMIT');
    expect(await code('xml', `${'<a>'.repeat(depth)}x${'</a>'.repeat(depth)}`)).toBe('E_FILE_LIMIT');
  });

  it('malformed markup and data: unclosed XML tags and broken JSON are E_FILE_FORMAT with the place', async () => {
    const xml = await settle('xml', '<a><b></a>');
    expect(xml).toMatchObject({ code: 'E_FILE_FORMAT', message: expect.stringContaining('line 1') });
    expect(await code('json', '{"a": 1,')).toBe('E_FILE_FORMAT');
    expect(await code('csv', 'a,b\n"unclosed,1\n')).toBe('E_FILE_FORMAT');
  });

  it('random text stays within its caps for every text format', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('csv', 'text', 'json', 'xml', 'html' as const),
        fc.string({ unit: 'binary', maxLength: 3_000 }),
        async (format, text) => {
          await settle(format as FileFormat, text);
        },
      ),
      { numRuns: 300 },
    );
  });
});
