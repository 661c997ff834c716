// Expression bombs: JSONata expressions written to stall or exhaust the process that evaluates them. Each one
// must fail with a clear EXPRESSION_FAILED error close to the 1 s limit while this process's event loop keeps
// turning, and the evaluator must answer normally right after.
import { afterEach, describe, expect, it } from 'vitest';
import { ExpressionError, evaluateTemplate } from './expressions.ts';

const scope = { trigger: { n: 1 }, steps: {} };
/** 26 a's: the backtracking regex takes seconds in V8 (2^26 paths); 36 would take hours. */
const victim = `${'a'.repeat(26)}!`;
const LIMIT_MS = 1_000;

let ticker: NodeJS.Timeout | undefined;
afterEach(() => clearInterval(ticker));

/**
 * Evaluates `source` and reports whether this process's event loop turned while it ran: a timer armed before the
 * call must fire before the call settles. A bomb evaluated on this thread settles first (the timer only runs after).
 */
async function evaluateBomb(
  source: string,
  timeoutMs = LIMIT_MS,
): Promise<{ error: unknown; turnsBeforeSettled: number }> {
  let turns = 0;
  ticker = setInterval(() => {
    turns += 1;
  }, 20);
  const error = await evaluateTemplate(`{{ ${source} }}`, scope, { timeoutMs }).then(
    () => undefined,
    (failure: unknown) => failure,
  );
  const turnsBeforeSettled = turns;
  clearInterval(ticker);
  return { error, turnsBeforeSettled };
}

/** `quick`: the bomb fails within a few milliseconds, before a timer could fire anyway. */
function expectStopped(
  outcome: { error: unknown; turnsBeforeSettled: number },
  message: RegExp,
  quick = false,
): void {
  expect(outcome.error).toBeInstanceOf(ExpressionError);
  const error = outcome.error as ExpressionError;
  expect(error.code).toBe('EXPRESSION_FAILED');
  expect(error.message).toMatch(message);
  if (!quick) expect(outcome.turnsBeforeSettled).toBeGreaterThan(0);
}

describe('catastrophic regexes run where they can be killed', () => {
  const regexBombs = [
    `$match("${victim}", /(a+)+$/)`,
    `$contains("${victim}", /(a+)+$/)`,
    `$replace("${victim}", /(a+)+$/, "x")`,
    `$split("${victim}", /(a+)+$/)`,
    `"${victim}" ~> /(a+)+$/`,
  ];
  it.each(regexBombs)('%s fails at the limit while the event loop turns', async (source) => {
    const outcome = await evaluateBomb(source);
    expectStopped(outcome, /ran longer than its 1000 ms limit and was stopped/);
    expect((outcome.error as ExpressionError).details).toMatchObject({ pointer: '', timeoutMs: LIMIT_MS });
    // The killed process is replaced: the next expression evaluates normally.
    expect(await evaluateTemplate('{{ trigger.n + 1 }}', scope)).toBe(2);
  });

  it('other expressions are answered while a bomb holds one evaluator process', async () => {
    const order: string[] = [];
    const bomb = evaluateTemplate(`{{ $match("${victim}", /(a+)+$/) }}`, scope, {
      timeoutMs: LIMIT_MS,
    }).catch(() => order.push('bomb'));
    for (let n = 0; n < 20; n++) {
      expect(await evaluateTemplate('{{ trigger.n * 2 }}', scope)).toBe(2);
    }
    order.push('others');
    await bomb;
    expect(order).toEqual(['others', 'bomb']);
  });

  it('names the expression that overran when a value holds several', async () => {
    const failure = await evaluateTemplate(
      { a: '{{ trigger.n }}', b: `{{ $match("${victim}", /(a+)+$/) }}` },
      scope,
      { timeoutMs: LIMIT_MS },
    ).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ExpressionError);
    expect((failure as ExpressionError).details).toMatchObject({ pointer: '/b' });
  });
});

describe('other bombs hold the time limit and bounded memory', () => {
  it('a 400 MB string from $pad is stopped as a memory error', async () => {
    // On a loaded machine the limit may strike first: either way the bomb is stopped.
    expectStopped(
      await evaluateBomb('$uppercase($pad("x", 400000000))'),
      /more memory than expressions may|ran longer than its 1000 ms limit/,
    );
  });

  it('string doubling past what JavaScript allows fails', async () => {
    expectStopped(
      await evaluateBomb('$reduce([1..28], function($a, $b) { $a & $a }, "xx")'),
      /failed|memory/,
      true,
    );
  });

  it('a huge result is refused rather than copied back', async () => {
    // A generous limit: this checks the size cap, not the clock.
    expectStopped(await evaluateBomb('$pad("x", 20000000)', 20_000), /more than the \d+ allowed/);
  });

  it('a ten-million-item range stops at the sequence cap', async () => {
    expectStopped(await evaluateBomb('$count([1..10000000])'), /maximum sequence length/, true);
  });

  it('unbounded recursion stops at the depth cap', async () => {
    expectStopped(
      await evaluateBomb('( $f := function($n) { $n = 0 ? 0 : 1 + $f($n - 1) }; $f(100000) )'),
      /Stack overflow|nests too deeply/,
      true,
    );
  });

  it('a loop of cheap steps stops at the time limit', async () => {
    expectStopped(
      await evaluateBomb(
        '$reduce([1..99999], function($a, $b) { $reduce([1..99999], function($c, $d) { $c + $d }) })',
      ),
      /1000 ms|time/i,
    );
  });
});
