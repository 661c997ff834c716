import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { writeOnce } from './write-once.ts';

function contextAt(attempt: number) {
  const lines: Array<Record<string, unknown>> = [];
  const logger = pino({ level: 'warn' }, { write: (line: string) => lines.push(JSON.parse(line)) });
  return { ctx: { attempt, logger, node: { id: 'post', runId: 'run-1' } }, lines };
}

function recorder(found: { value?: string; error?: Error }) {
  const calls: string[] = [];
  return {
    calls,
    steps: {
      async find() {
        calls.push('find');
        if (found.error) throw found.error;
        return found.value;
      },
      async write() {
        calls.push('write');
        return 'written';
      },
    },
  };
}

describe('writeOnce', () => {
  it('writes without looking on the first attempt', async () => {
    const { ctx, lines } = contextAt(1);
    const { calls, steps } = recorder({ value: 'earlier' });
    expect(await writeOnce(ctx, steps)).toBe('written');
    expect(calls).toEqual(['write']);
    expect(lines).toEqual([]);
  });

  it('returns what an earlier attempt wrote, and does not write again', async () => {
    const { ctx } = contextAt(2);
    const { calls, steps } = recorder({ value: 'earlier' });
    expect(await writeOnce(ctx, steps)).toBe('earlier');
    expect(calls).toEqual(['find']);
  });

  it('writes when a retry finds nothing', async () => {
    const { ctx, lines } = contextAt(3);
    const { calls, steps } = recorder({});
    expect(await writeOnce(ctx, steps)).toBe('written');
    expect(calls).toEqual(['find', 'write']);
    expect(lines).toEqual([]);
  });

  it('logs a failed look and writes anyway', async () => {
    const { ctx, lines } = contextAt(2);
    const { calls, steps } = recorder({ error: new Error('history unavailable') });
    expect(await writeOnce(ctx, steps)).toBe('written');
    expect(calls).toEqual(['find', 'write']);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      level: 40,
      node: 'post',
      runId: 'run-1',
      attempt: 2,
      err: { message: 'history unavailable' },
      msg: expect.stringContaining('writing again'),
    });
  });

  it('passes a failed write through', async () => {
    const { ctx } = contextAt(1);
    const failing = { find: async () => undefined, write: async () => Promise.reject(new Error('HTTP 500')) };
    await expect(writeOnce(ctx, failing)).rejects.toThrow('HTTP 500');
  });
});
