import { describe, expect, it } from 'vitest';
import { AppError } from '../../../lib/index.ts';
import { extractContent } from './index.ts';
import { parseInThread } from './parse-pool.ts';

// Whole-file parsers run in worker threads: the main event loop keeps ticking while a big file parses, a parse
// past its time limit is stopped (E_FILE_LIMIT) and the next parse works; an aborted step stops its parse too.

const options = { name: 'big.json', maxRows: 10, maxChars: 1_000 };

async function failure(promise: Promise<unknown>): Promise<AppError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof AppError) return error;
    throw error;
  }
  throw new Error('expected a failure');
}

/** ~18 MiB of JSON that only fails at its very end, so the parser has to read all of it. */
function bigBrokenJson(): Uint8Array<ArrayBuffer> {
  const item = '{"a":[1,2,{"b":"xyz"}],"c":"some text here"},';
  return new TextEncoder().encode(`[${item.repeat(Math.floor((18 * 1024 * 1024) / item.length))}`);
}

describe('parse threads', () => {
  it('parse off the event loop: timers keep firing while a big file is parsed', async () => {
    const bytes = bigBrokenJson();
    let last = performance.now();
    let worstLag = 0;
    const ticker = setInterval(() => {
      const now = performance.now();
      worstLag = Math.max(worstLag, now - last);
      last = now;
    }, 5);
    const started = performance.now();
    const error = await failure(extractContent('json', new Blob([bytes]).stream(), options));
    const tookMs = performance.now() - started;
    clearInterval(ticker);
    expect(error.code).toBe('E_FILE_FORMAT');
    console.log(
      `parse of ${bytes.length} bytes took ${Math.round(tookMs)} ms; worst event-loop gap ${Math.round(worstLag)} ms`,
    );
    expect(worstLag).toBeLessThan(Math.max(60, tookMs / 3));
  });

  it('stops a parse past its time limit with E_FILE_LIMIT; the next parse works', async () => {
    const slow = await failure(parseInThread('json', bigBrokenJson(), options, 5));
    expect(slow.code).toBe('E_FILE_LIMIT');
    expect(slow.message).toContain('took longer than');
    expect(await parseInThread('json', new TextEncoder().encode('{"ok":true}'), options)).toEqual({
      data: { ok: true },
    });
  });

  it('stops a parse when the step is aborted', async () => {
    const controller = new AbortController();
    const parse = parseInThread('json', bigBrokenJson(), { ...options, signal: controller.signal });
    setTimeout(() => controller.abort(new Error('step timed out')), 5);
    await expect(parse).rejects.toThrow('step timed out');
    expect(await parseInThread('json', new TextEncoder().encode('[1]'), options)).toEqual({ data: [1] });
  });
});
