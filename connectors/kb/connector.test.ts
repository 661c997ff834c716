import { describe, expect, it } from 'vitest';
import { createLogger } from '../../lib/index.ts';
import { invokeAction } from '../invoke.ts';
import type { ActionDefinition } from '../sdk/define.ts';
import { kbConnector } from './connector.ts';

// The connector alone: what a process without a wired knowledge base says, and the `file` form's error. The
// store itself is tested through the worker in retrieval/knowledge-base.engine.test.ts.

const logger = createLogger({ level: 'silent' });

function call(key: string, input: unknown) {
  const action = kbConnector.actions.find((candidate) => candidate.key === key) as ActionDefinition;
  return invokeAction({
    connector: kbConnector,
    action,
    input,
    credential: undefined,
    env: { baseUrls: {}, fetch, logger },
    signal: new AbortController().signal,
    attempt: 1,
    idempotencyKey: 'k',
    node: { id: 'n', runId: 'r' },
    logger,
  });
}

describe('kb connector', () => {
  it('fails clearly where no knowledge base is wired', async () => {
    await expect(call('search', { collection: 'docs', query: 'keys' })).rejects.toMatchObject({
      code: 'E_KB_UNAVAILABLE',
      retryable: false,
    });
  });

  it('takes exactly one of text and file, and a file must be a file reference', async () => {
    await expect(
      call('upsert', { collection: 'docs', id: 'a.md', text: 'x', file: { ref: 'f1' } }),
    ).rejects.toMatchObject({ code: 'E_PARAMS' });
    await expect(call('upsert', { collection: 'docs', id: 'a.md' })).rejects.toThrow(
      /exactly one of "text" and "file"/,
    );
    await expect(
      call('upsert', { collection: 'docs', id: 'a.md', file: { ref: 'f1' } }),
    ).rejects.toMatchObject({
      code: 'E_PARAMS',
    });
  });

  it('rejects a bad collection name with the naming rule', async () => {
    await expect(call('delete', { collection: '../etc', id: 'a' })).rejects.toThrow(
      /collection: a collection name is 1–63 characters/,
    );
  });
});
