import fc from 'fast-check';
import { XMLValidator } from 'fast-xml-parser';
import { gzipSync, zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { AppError } from '../lib/index.ts';
import { compressionConnector } from './compression/connector.ts';
import { cryptoConnector } from './crypto/connector.ts';
import { htmlConnector } from './html/connector.ts';
import { markdownConnector } from './markdown/connector.ts';
import type { ConnectorDefinition } from './sdk/define.ts';
import { createTestEnvironment } from './testing/fake-server.ts';
import { runAction } from './testing/run-action.ts';
import { xmlConnector } from './xml/connector.ts';

// Malformed input never crashes a data-shaping action: it returns output its schema accepts, or fails with one of
// its own non-retryable codes (never E_CONNECTOR, which is what an unexpected exception inside an action becomes).

const env = createTestEnvironment();

async function outcome(
  connector: ConnectorDefinition,
  key: string,
  input: unknown,
  check?: (output: unknown) => void,
): Promise<void> {
  const action = connector.actions.find((candidate) => candidate.key === key)!;
  let output: unknown;
  try {
    output = await runAction(connector, key, input, { env });
  } catch (error) {
    expect(error).toBeInstanceOf(AppError);
    const failure = error as AppError;
    expect(failure.code, failure.message).toMatch(/^E_[A-Z_]+$/);
    expect(failure.code, failure.message).not.toBe('E_CONNECTOR');
    expect(failure.retryable).toBe(false);
    expect(failure.message.length).toBeGreaterThan(10);
    return;
  }
  expect(action.output.safeParse(output).success).toBe(true);
  check?.(output);
}

const xmlToken = fc.constantFrom(
  '<a>',
  '</a>',
  '<b x="1">',
  '</b>',
  '<c/>',
  '&amp;',
  '&lol;',
  '&#65;',
  '&#xZZ;',
  'text',
  ' ',
  '<',
  '>',
  '"',
  '<![CDATA[',
  ']]>',
  '<!--',
  '-->',
  '<?xml version="1.0"?>',
  '<!DOCTYPE x [',
  '<!ENTITY e "v">',
  ']>',
  '<ns:a>',
);
const htmlToken = fc.constantFrom(
  '<div>',
  '</div>',
  '<p>',
  '<li>',
  '<a href="/x">',
  '</a>',
  '<script>',
  '</script>',
  '<!--',
  '-->',
  '<br>',
  'x',
  '<table><tr><td>',
  '</span>',
  '<img src=x onerror=alert(1)>',
  '&nbsp;',
  '<',
  '>',
  '<h1 class="t">',
  '</h1>',
);
const markdownToken = fc.constantFrom(
  '#',
  '>',
  '- ',
  '*',
  '_',
  '`',
  '```',
  '[x](',
  ')',
  '![i](',
  '\n',
  '<b>',
  '|',
  ' ',
);
const sometimes = <T>(arbitrary: fc.Arbitrary<T>) => fc.oneof(arbitrary, fc.string({ maxLength: 200 }));
const joined = (token: fc.Arbitrary<string>) =>
  fc.array(token, { maxLength: 200 }).map((parts) => parts.join(''));

const validGzip = Buffer.from(gzipSync(Buffer.from('hello '.repeat(200)))).toString('base64');
const validZip = Buffer.from(
  zipSync({ 'a.txt': Buffer.from('A'.repeat(500)), 'b/c.txt': Buffer.from('C') }),
).toString('base64');
/** A valid archive, cut off or with some bytes changed. */
const damaged = (base64: string) =>
  fc
    .tuple(fc.nat(), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }))
    .map(([cut, flips]) => {
      const bytes = Buffer.from(base64, 'base64');
      for (const [at, value] of flips) bytes[at % bytes.length] = value;
      return bytes.subarray(0, cut % (bytes.length + 1)).toString('base64');
    });
const randomBytes = fc.uint8Array({ maxLength: 2_000 }).map((bytes) => Buffer.from(bytes).toString('base64'));

const RUNS = { numRuns: 300 };

describe('data-shaping actions under malformed input', () => {
  it('xml.toJson', async () => {
    await fc.assert(
      fc.asyncProperty(sometimes(joined(xmlToken)), (xml) => outcome(xmlConnector, 'toJson', { xml })),
      RUNS,
    );
  });

  it('xml.fromJson writes well-formed XML or refuses the data', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.dictionary(fc.string({ maxLength: 10 }), fc.jsonValue({ maxDepth: 4 })),
          fc.record({ root: fc.jsonValue({ maxDepth: 4 }) }),
        ),
        (data) =>
          outcome(xmlConnector, 'fromJson', { data }, (output) => {
            const { xml } = output as { xml: string };
            expect(XMLValidator.validate(xml)).toBe(true);
          }),
      ),
      // A list in a list once came out with its indexes as element names (<0>).
      { ...RUNS, examples: [[{ root: { A: [[null]] } }]] },
    );
  });

  it('html.extract', async () => {
    const selector = fc.constantFrom(
      'div',
      'a[href]',
      'p > b',
      'p[[',
      ':nth-child(',
      'h1.t',
      '*',
      '#',
      'li:has(a)',
    );
    await fc.assert(
      fc.asyncProperty(sometimes(joined(htmlToken)), selector, fc.boolean(), (html, css, all) =>
        outcome(htmlConnector, 'extract', {
          html,
          selectors: { v: { selector: css, all, attribute: 'href' }, t: css },
        }),
      ),
      RUNS,
    );
  });

  it('markdown.toHtml never lets raw HTML or a script URL through', async () => {
    await fc.assert(
      fc.asyncProperty(sometimes(joined(markdownToken)), async (markdown) => {
        await outcome(markdownConnector, 'toHtml', { markdown });
        const { html } = (await runAction(
          markdownConnector,
          'toHtml',
          { markdown: `${markdown}\n\n<script>x</script> [a](javascript:x)` },
          { env },
        )) as { html: string };
        expect(html).not.toMatch(/<script|href="javascript:/i);
      }),
      RUNS,
    );
  });

  it('markdown.fromHtml', async () => {
    await fc.assert(
      fc.asyncProperty(sometimes(joined(htmlToken)), (html) =>
        outcome(markdownConnector, 'fromHtml', { html }),
      ),
      RUNS,
    );
  });

  it('compression.gunzip and unzip on random bytes and damaged archives', async () => {
    const archive = fc.oneof(
      randomBytes,
      damaged(validGzip),
      damaged(validZip),
      fc.string({ maxLength: 100 }),
    );
    await fc.assert(
      fc.asyncProperty(archive, fc.constantFrom('text', 'base64'), async (base64, as) => {
        await outcome(compressionConnector, 'gunzip', { base64, as, maxBytes: 100_000 });
        await outcome(compressionConnector, 'unzip', { base64, as, maxBytes: 100_000 });
      }),
      RUNS,
    );
  });

  it('crypto.base64Decode and crypto.hash on any text', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(randomBytes, fc.string({ maxLength: 200 })),
        fc.constantFrom('utf8', 'base64', 'hex'),
        async (text, inputEncoding) => {
          await outcome(cryptoConnector, 'base64Decode', { base64: text });
          await outcome(cryptoConnector, 'hash', { data: text, inputEncoding });
        },
      ),
      RUNS,
    );
  });
});
