import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createLogger } from '../lib/logger.ts';
import { REDACTED, redactString } from '../lib/redact.ts';
import { invokeAction } from './invoke.ts';
import { ConnectorError } from './sdk/connector-error.ts';
import { defineAction, defineConnector } from './sdk/define.ts';
import { createTestEnvironment } from './testing/fake-server.ts';

type Credential = { apiKey: string };
const Credential = z.strictObject({ apiKey: z.string().min(8) });

const echo = defineAction({
  key: 'echo',
  title: 'Echo',
  description: 'Returns what it gets, or fails the way the input says.',
  effect: 'read',
  idempotent: true,
  input: z.strictObject({
    count: z.number().int().describe('A number.'),
    mode: z.enum(['ok', 'bad-output', 'throw', 'econnrefused', 'wait']).default('ok').describe('What to do.'),
  }),
  output: z.object({ count: z.number(), attempt: z.number(), key: z.string(), client: z.string() }),
  async run(input, ctx) {
    if (input.mode === 'bad-output') return { count: 'many' } as never;
    if (input.mode === 'throw') throw new TypeError('boom');
    if (input.mode === 'econnrefused') {
      throw new TypeError('fetch failed', {
        cause: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }),
      });
    }
    if (input.mode === 'wait') {
      await new Promise((_resolve, reject) =>
        ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason)),
      );
    }
    return { count: input.count, attempt: ctx.attempt, key: ctx.idempotencyKey, client: String(ctx.client) };
  },
});

const connector = defineConnector<Credential, string>({
  id: 'demo',
  version: '1.0.0',
  title: 'Demo',
  description: 'A connector for testing invokeAction.',
  credential: { type: 'demo', schema: Credential, howToGet: 'Ask the demo admin.' },
  createClient: ({ credential }) => `client-for-${credential?.apiKey.length ?? 0}`,
  actions: [echo],
  triggers: [],
  docPath: '/dev/null',
});

const invoke = (
  input: unknown,
  options: { credential?: unknown; signal?: AbortSignal; credentialType?: string } = {},
) =>
  invokeAction({
    connector,
    action: echo,
    input,
    credential: 'credential' in options ? options.credential : { apiKey: 'secret-demo-key' },
    ...(options.credentialType ? { credentialType: options.credentialType } : {}),
    env: createTestEnvironment(),
    signal: options.signal ?? new AbortController().signal,
    attempt: 2,
    idempotencyKey: 'run:node:0',
    node: { id: 'node', runId: 'run' },
    logger: createLogger({ level: 'silent' }),
  });

const failure = (promise: Promise<unknown>) =>
  promise.then(
    () => expect.fail('expected a failure'),
    (error: unknown) => error,
  );

describe('invokeAction', () => {
  it('parses input (defaults applied), passes context and client, checks output', async () => {
    expect(await invoke({ count: 3 })).toEqual({
      count: 3,
      attempt: 2,
      key: 'run:node:0',
      client: 'client-for-15',
    });
  });

  it('lists every bad field with E_PARAMS, non-retryable', async () => {
    const error = (await failure(invoke({ count: 'x', mode: 'nope', extra: 1 }))) as ConnectorError;
    expect(error).toBeInstanceOf(ConnectorError);
    expect(error).toMatchObject({ code: 'E_PARAMS', retryable: false });
    expect(error.message).toMatch(/count: .*expected number/);
    expect(error.message).toMatch(/mode: /);
    expect(error.message).toMatch(/extra/);
  });

  it('requires a valid credential, naming the type and the command, without echoing it', async () => {
    const missing = await failure(invoke({ count: 1 }, { credential: undefined }));
    expect(missing).toMatchObject({
      code: 'E_CREDENTIAL',
      retryable: false,
      hint: expect.stringContaining('vmesh credentials set NAME --type demo'),
    });
    const invalid = (await failure(invoke({ count: 1 }, { credential: { apiKey: 'short' } }))) as Error;
    expect(invalid).toMatchObject({ code: 'E_CREDENTIAL' });
    expect(invalid.message).toContain('apiKey');
    expect(invalid.message).not.toContain('short');
  });

  it('refuses a stored credential of another type', async () => {
    expect(await failure(invoke({ count: 1 }, { credentialType: 'slack' }))).toMatchObject({
      code: 'E_CREDENTIAL',
      message: expect.stringContaining('of type "slack"'),
    });
    expect(await invoke({ count: 1 }, { credentialType: 'demo' })).toMatchObject({ count: 1 });
  });

  it('registers the credential values for redaction', async () => {
    await invoke({ count: 1 });
    expect(redactString('key=secret-demo-key')).toBe(`key=${REDACTED}`);
  });

  it('rejects output that does not match the schema with E_OUTPUT', async () => {
    expect(await failure(invoke({ count: 1, mode: 'bad-output' }))).toMatchObject({
      code: 'E_OUTPUT',
      retryable: false,
    });
  });

  it('maps aborts to retryable E_TIMEOUT, network errors to retryable E_NETWORK, the rest to E_CONNECTOR', async () => {
    const controller = new AbortController();
    const pending = failure(invoke({ count: 1, mode: 'wait' }, { signal: controller.signal }));
    controller.abort();
    expect(await pending).toMatchObject({ code: 'E_TIMEOUT', retryable: true });
    expect(await failure(invoke({ count: 1 }, { signal: AbortSignal.abort() }))).toMatchObject({
      code: 'E_TIMEOUT',
    });
    expect(await failure(invoke({ count: 1, mode: 'econnrefused' }))).toMatchObject({
      code: 'E_NETWORK',
      retryable: true,
      details: { networkCode: 'ECONNREFUSED' },
    });
    expect(await failure(invoke({ count: 1, mode: 'throw' }))).toMatchObject({
      code: 'E_CONNECTOR',
      retryable: false,
    });
  });
});
