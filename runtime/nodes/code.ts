import { z } from 'zod';
import { defineCoreNode, noBranches } from './define-core-node.ts';

export const MAX_CODE_LENGTH = 100_000;
/** Code that uses the `files` API (a dry run says it does not happen there). */
const FILES_CALL = /\bfiles\s*\.\s*(read|write)\b/;
/** The most a node's timeoutMs may give core.code. */
const MAX_CODE_TIMEOUT_MS = 30_000;

const AsyncFunction = Object.getPrototypeOf(async () => undefined).constructor as new (
  ...parameters: string[]
) => unknown;

/** The syntax error of a core.code body, or undefined. Compiles the function without running it. */
export function codeSyntaxError(code: string): string | undefined {
  try {
    new AsyncFunction('input', code);
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

export const CoreCodeWith = z.strictObject({
  code: z
    .string()
    .min(1)
    .max(MAX_CODE_LENGTH)
    .superRefine((code, context) => {
      const syntaxError = codeSyntaxError(code);
      if (syntaxError !== undefined)
        context.addIssue({ code: 'custom', message: `JavaScript syntax error: ${syntaxError}` });
    })
    .describe(
      'The body of an async JavaScript function of one argument `input`; `return` a JSON value. No I/O except ' +
        "small files of the run: `await files.read(ref, { as: 'text' | 'bytes' | 'base64' })`, " +
        '`await files.write({ name, data, contentType?, encoding? })` (returns a file reference).',
    ),
  input: z.unknown().optional().describe('The value passed as `input` (expressions evaluated first).'),
});

export const codeNode = defineCoreNode({
  uses: 'core.code',
  title: 'Code',
  description:
    'Runs JavaScript in a sandbox with time and memory limits and no I/O (no fetch, require, process or timers). ' +
    'with.code is the body of an async function of one argument `input`; with.input is evaluated first and passed in. ' +
    'Return a JSON value; it is the output. Use only when an expression in core.transform cannot do it. ' +
    'Small files of the run (default ≤ 10 MiB read and 10 MiB written per step): pass a file reference in with.input, ' +
    "`await files.read(input.file, { as: 'text' })` ('bytes' gives a Uint8Array, 'base64' a string), and " +
    "`await files.write({ name: 'out.csv', data, contentType: 'text/csv' })` returns a file reference to return. " +
    'with.code is not a template: "{{ }}" inside it is left as is.',
  contract: {
    title: 'Code (sandboxed JavaScript)',
    text: '`with.code`: the body of an async JavaScript function of one argument `input` (the evaluated `with.input`), sandboxed with time and memory limits, no I/O but small files of the run (`files.read(ref, { as })`, `files.write({ name, data })` → a file reference). Output: what it returns (JSON).',
  },
  effect: 'pure',
  inline: true,
  // Stays claimed: it may run for its whole CPU budget, and is shown as running meanwhile.
  claimless: false,
  with: CoreCodeWith,
  branches: noBranches,
  literalFields: ['code'],
  async run(ctx) {
    const input = ctx.setInput({ input: await ctx.evaluate(ctx.node.with.input ?? null) });
    const { code } = CoreCodeWith.parse({ code: ctx.node.with.code, input: input.input });
    const timeoutMs = ctx.node.timeoutMs ? Math.min(ctx.node.timeoutMs, MAX_CODE_TIMEOUT_MS) : undefined;
    const output = await ctx.runCode(code, input.input, timeoutMs);
    return { kind: 'succeeded', input, output };
  },
  // Not executed in a dry run: its output is made up, and the files it would read or write are not touched.
  simulate: (input) =>
    typeof input.code === 'string' && FILES_CALL.test(input.code)
      ? {
          status: 'simulated',
          warnings: [
            'core.code is not run in a dry run: its files.read/files.write calls do not happen, so no file is written ' +
              'and later steps see a made-up output instead of its file references',
          ],
        }
      : { status: 'simulated' },
});
