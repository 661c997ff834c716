import { describe, expect, it } from 'vitest';
import {
  checkExpression,
  ExpressionError,
  evaluateTemplate,
  findExpressions,
  parseTemplate,
  referencedSteps,
  scanTemplates,
  wholeExpression,
} from './expressions.ts';

const scope = {
  trigger: { body: { issue: { title: 'Crash', labels: [{ name: 'bug' }, { name: 'ui' }] } }, n: 2 },
  steps: { fetch: { output: { status: 200, items: [1, 2, 3] } } },
  vars: { channel: '#triage' },
};

describe('templates', () => {
  it('keeps the type of a value that is exactly one expression', async () => {
    expect(await evaluateTemplate('{{ steps.fetch.output.status }}', scope)).toBe(200);
    expect(await evaluateTemplate('  {{ steps.fetch.output.items }}\n', scope)).toEqual([1, 2, 3]);
    expect(await evaluateTemplate("{{ 'bug' in trigger.body.issue.labels.name }}", scope)).toBe(true);
    expect(await evaluateTemplate('{{ trigger.missing }}', scope)).toBeUndefined();
  });

  it('makes a string when text surrounds expressions', async () => {
    expect(await evaluateTemplate('Bug: {{ trigger.body.issue.title }} ({{ trigger.n }})', scope)).toBe(
      'Bug: Crash (2)',
    );
    expect(await evaluateTemplate('items={{ steps.fetch.output.items }}', scope)).toBe('items=[1,2,3]');
    expect(await evaluateTemplate('[{{ trigger.missing }}]', scope)).toBe('[]');
  });

  it('evaluates every string in nested objects and arrays, and nothing else', async () => {
    const value = {
      channel: '{{ vars.channel }}',
      blocks: [{ text: 'n={{ trigger.n }}' }, 3, null, true],
      plain: 'x',
    };
    expect(await evaluateTemplate(value, scope)).toEqual({
      channel: '#triage',
      blocks: [{ text: 'n=2' }, 3, null, true],
      plain: 'x',
    });
  });

  it('never evaluates data as an expression', async () => {
    const evil = { trigger: { text: '{{ $millis() }}' }, steps: {} };
    expect(await evaluateTemplate('{{ trigger.text }}', evil)).toBe('{{ $millis() }}');
    expect(await evaluateTemplate('say {{ trigger.text }}', evil)).toBe('say {{ $millis() }}');
    await expect(evaluateTemplate('{{ $eval(trigger.text) }}', evil)).rejects.toBeInstanceOf(ExpressionError);
  });

  it('exposes item and index inside foreach bodies', async () => {
    expect(
      await evaluateTemplate('{{ item.name & "#" & index }}', { ...scope, item: { name: 'a' }, index: 4 }),
    ).toBe('a#4');
  });

  it('handles braces inside expressions', async () => {
    expect(await evaluateTemplate('{{ {"a": {"b": 1}} }}', scope)).toEqual({ a: { b: 1 } });
    expect(await evaluateTemplate("{{ '}}' & 'x' }}", scope)).toBe('}}x');
    expect(wholeExpression('{{ a }} and {{ b }}')).toBeUndefined();
    expect(wholeExpression('{{ a }}')).toBe(' a ');
  });

  it('stops runaway expressions with a clear error', async () => {
    const loop = '{{ ( $f := function($n) { $f($n + 1) }; $f(0) ) }}';
    await expect(evaluateTemplate(loop, scope, { timeoutMs: 100 })).rejects.toThrow(/failed/);
    const slow = '{{ $sum([1..10000000]) }}';
    const failure = await evaluateTemplate(slow, scope, { timeoutMs: 50 }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ExpressionError);
  });

  it('reports evaluation errors with the pointer', async () => {
    const failure = await evaluateTemplate({ a: ['{{ 1 + "x" }}'] }, scope).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ExpressionError);
    expect((failure as ExpressionError).details.pointer).toBe('/a/0');
  });
});

describe('static checks', () => {
  it('finds expressions with pointers', () => {
    expect(
      findExpressions({ a: 'x {{ trigger.a }} {{ steps.b.output }}', b: [{ 'c/d': '{{ 1 }}' }], n: 1 }),
    ).toEqual([
      { pointer: '/a', source: ' trigger.a ' },
      { pointer: '/a', source: ' steps.b.output ' },
      { pointer: '/b/0/c~1d', source: ' 1 ' },
    ]);
  });

  it('reports unclosed and empty templates', () => {
    expect(scanTemplates({ a: 'x {{ trigger.a' }).errors).toEqual([
      { pointer: '/a', message: expect.stringContaining('never closed'), position: 2 },
    ]);
    expect(parseTemplate('{{  }}').ok).toBe(false);
  });

  it('reports syntax errors with a position', () => {
    const checked = checkExpression('trigger.a + ');
    expect(checked.ok).toBe(false);
    if (!checked.ok) expect(checked.error.position).toBeGreaterThan(0);
    expect(checkExpression('$eval("1")').ok).toBe(false);
  });

  it('lists referenced steps from the AST', () => {
    expect(referencedSteps('steps.fetch.output.body & steps.`other`.output')).toEqual(['fetch', 'other']);
    expect(referencedSteps('$$.steps.a.output + $.steps.b.output')).toEqual(['a', 'b']);
    expect(referencedSteps('trigger.items[id = steps.d.output.id].name')).toEqual(['d']);
    expect(referencedSteps('$lookup(steps, "e").output')).toEqual(['e']);
    expect(referencedSteps('{"x": (steps.g.output)}')).toEqual(['g']);
    expect(referencedSteps('"steps.fake.output" & trigger.steps')).toEqual([]);
    expect(referencedSteps('trigger.(')).toEqual([]);
  });

  it('lists root names only where they are read from the scope', () => {
    const checked = checkExpression('body.title & trigger.items[id = 1].name & vars.x');
    expect(checked.ok && checked.value.roots.map((root) => root.name)).toEqual(['body', 'trigger', 'vars']);
    expect(checked.ok && checked.value.vars).toEqual(['x']);
  });
});
