import { z } from 'zod';
import { defineCoreNode } from './define-core-node.ts';

export const MAX_WAIT_SECONDS = 30 * 24 * 3600;

export const CoreWaitWith = z.strictObject({
  timeoutSeconds: z
    .number()
    .int()
    .min(1)
    .max(MAX_WAIT_SECONDS)
    .optional()
    .describe(
      'Give up after this many seconds (1 to 30 days): branch "timeout". Omitted: wait until called.',
    ),
});

type WaitStart = { token: string; expiresAt: string | null };

/** The one-time resume token: 32 random bytes, base64url (Web Crypto: this module is browser-safe). */
function mintToken(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replaceAll('+', '-').replaceAll('/', '_').replace(/=+$/, '');
}

export const waitNode = defineCoreNode({
  uses: 'core.wait',
  title: 'Wait for a call',
  description:
    'Pauses the run durably until an external system calls its one-time resume URL (POST /resume/<token>; a ' +
    'person who may operate the run gets it from POST /api/runs/<id>/steps/<node>/resume-url, never from the ' +
    "run record); the JSON body of that call is the step's output. " +
    'with.timeoutSeconds optionally gives up: branch "timeout", or the step ' +
    'fails with E_WAIT_TIMEOUT when no edge takes "timeout". Use it for "send for signature, go on when signed".',
  contract: {
    title: 'Wait for a call (resume URL)',
    text: 'Optional `timeoutSeconds`. Pauses until POST /resume/<token> (one time); its JSON body is the output; branches `resumed` and `timeout`.',
  },
  effect: 'write',
  inline: false,
  claimless: false,
  with: CoreWaitWith,
  branches: () => ['resumed', 'timeout'],
  literalFields: [],
  shape: ['[/', '\\]'],
  async run(ctx) {
    const input = ctx.setInput(await ctx.evaluate(ctx.node.with));
    const wait = CoreWaitWith.parse(input);
    const expiresAt =
      wait.timeoutSeconds === undefined ? undefined : new Date(Date.now() + wait.timeoutSeconds * 1000);
    const token = mintToken();
    const start: WaitStart = { token, expiresAt: expiresAt?.toISOString() ?? null };
    return {
      kind: 'wait',
      input,
      wait: start,
      ...(expiresAt ? { wakeAt: expiresAt } : {}),
      // The token is a credential: it never enters the run record (a person asks for a URL, resume-url route).
      output: { waiting: true, expiresAt: start.expiresAt },
    };
  },
  async begin(value, ctx) {
    const start = value as WaitStart;
    const expiresAt = start.expiresAt === null ? null : new Date(start.expiresAt);
    await ctx.createResumeToken(start.token, expiresAt);
    if (expiresAt) ctx.wakeAt(expiresAt);
    ctx.event('wait.started', { ...ctx.step, expiresAt: start.expiresAt });
  },
  async resume(ctx) {
    const call = await ctx.resumeCall();
    if (!call || call.status === 'waiting')
      return call?.expiresAt ? { kind: 'pending', requeueAt: call.expiresAt } : { kind: 'pending' };
    if (call.status === 'resumed')
      return { kind: 'succeeded', input: null, output: call.body, branch: 'resumed' };
    if (ctx.routes('timeout'))
      return { kind: 'succeeded', input: null, output: { timedOut: true }, branch: 'timeout' };
    return {
      kind: 'failed',
      input: null,
      error: {
        code: 'E_WAIT_TIMEOUT',
        message: `Step "${ctx.node.id}" was not resumed within its timeoutSeconds.`,
        hint: 'Add an edge with branch "timeout" to handle it, or raise with.timeoutSeconds.',
        retryable: false,
      },
    };
  },
  simulate: () => ({ status: 'would-wait', output: {}, branch: 'resumed' }),
});
