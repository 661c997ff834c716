import { z } from 'zod';
import { defineCoreNode, noBranches, nodeFailure } from './define-core-node.ts';
import { RESPOND_HEADER_CODE, respondHeadersProblems } from './respond-headers.ts';

export const CoreRespondWith = z.strictObject({
  status: z.number().int().min(100).max(599).describe('HTTP status code, e.g. 200.'),
  body: z.unknown().describe('The response body: JSON value or text.'),
  headers: z
    .record(z.string(), z.string())
    .optional()
    .describe(
      'Response headers: content-type (not HTML/XML/SVG/script), cache-control, content-language, content-disposition, location (3xx only), etag, last-modified, expires, vary, retry-after, x-*.',
    ),
});

export const respondNode = defineCoreNode({
  uses: 'core.respond',
  title: 'Respond to webhook',
  description:
    'Sets the HTTP response of a webhook- or form-triggered run: with.status, with.body, optional with.headers. The ' +
    'run\'s output becomes the body. Only meaningful when trigger.type is "webhook" or "form".',
  contract: {
    title: 'Respond (webhook HTTP response)',
    text: "`with.status`, `with.body`, optional `with.headers`: the webhook's HTTP response.",
  },
  effect: 'write',
  // Its write is the run's response, committed by the transaction that records the step (a chain ends there).
  inline: true,
  claimless: true,
  with: CoreRespondWith,
  branches: noBranches,
  literalFields: [],
  trigger: {
    types: ['webhook', 'form'],
    warning: 'W_RESPOND_WITHOUT_WEBHOOK',
    reason: 'there is no HTTP request to answer',
    hint: 'Use a "webhook" or "form" trigger, or remove the core.respond node (the run output is the last step\'s output).',
  },
  shape: ['>', ']'],
  check(withValue) {
    const headers = z.record(z.string(), z.string()).safeParse(withValue.headers);
    if (!headers.success) return [];
    const status = typeof withValue.status === 'number' ? withValue.status : undefined;
    return respondHeadersProblems(headers.data, { status, template: true }).map((problem) => ({
      code: RESPOND_HEADER_CODE,
      field: ['headers', problem.name],
      message: problem.message,
      hint: problem.hint,
    }));
  },
  async run(ctx) {
    const input = ctx.setInput(await ctx.evaluate(ctx.node.with));
    const respond = CoreRespondWith.parse(input);
    // Expressions are evaluated now: a header they made unsafe fails the step (no response is sent; the caller
    // gets 202 { runId }), rather than being dropped without a word.
    const [problem, ...more] = respondHeadersProblems(respond.headers, { status: respond.status });
    if (problem) {
      throw nodeFailure(
        RESPOND_HEADER_CODE,
        `core.respond: ${problem.message}${more.length ? ` (and ${more.length} more header problem${more.length > 1 ? 's' : ''})` : ''}.`,
        problem.hint,
      );
    }
    return { kind: 'succeeded', input, output: respond, respond };
  },
  simulate: (input) => ({ status: 'ran', output: { status: input.status ?? 200, body: input.body } }),
});
