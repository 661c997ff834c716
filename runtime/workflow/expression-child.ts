// The expression process: forked by expression-pool.ts with a capped V8 heap, Node's permission model (reads of
// its own modules only, no writes, no child processes, no workers, no addons) and an empty environment. A
// JSONata expression can spend unbounded time inside one native call (a backtracking regex) or allocate a huge
// string; here that stalls or crashes only this process, which the parent kills and replaces.
import { AppError } from '../../lib/errors.ts';
import { type ExpressionScope, evaluateTemplateHere } from './expression-core.ts';
import type { ExpressionReply, ExpressionRequest } from './expression-protocol.ts';

/** A bigger result is refused rather than copied to the parent. */
const MAX_RESULT_CHARS = 16 * 1024 * 1024;

function send(reply: ExpressionReply): void {
  process.send?.(reply);
}

async function evaluate(request: ExpressionRequest): Promise<ExpressionReply> {
  let index = -1;
  try {
    const value = await evaluateTemplateHere(
      request.value,
      request.scope as ExpressionScope,
      { timeoutMs: request.timeoutMs },
      () => {
        index += 1;
        if (index > 0) send({ type: 'expression', id: request.id, index });
      },
    );
    if (value === undefined) return { type: 'result', id: request.id, ok: true, defined: false, value: null };
    const size = JSON.stringify(value).length;
    if (size > MAX_RESULT_CHARS) {
      return {
        type: 'result',
        id: request.id,
        ok: false,
        code: 'EXPRESSION_FAILED',
        message: `the expressions produced a value of ${size} characters, more than the ${MAX_RESULT_CHARS} allowed`,
        hint: 'Return less data from the expression, or build large values in a core.code node.',
        details: { size },
      };
    }
    return { type: 'result', id: request.id, ok: true, defined: true, value };
  } catch (error) {
    const failure =
      error instanceof AppError
        ? error
        : new AppError({ code: 'EXPRESSION_FAILED', message: `the expression failed: ${String(error)}` });
    return {
      type: 'result',
      id: request.id,
      ok: false,
      code: failure.code,
      message: failure.message.slice(0, 20_000),
      ...(failure.hint ? { hint: failure.hint.slice(0, 2_000) } : {}),
      details: failure.details,
    };
  }
}

process.on('message', (message: unknown) => {
  void evaluate(message as ExpressionRequest).then(send);
});
process.on('disconnect', () => process.exit(0));
send({ type: 'ready' });
