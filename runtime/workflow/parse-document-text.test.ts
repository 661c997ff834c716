import { describe, expect, it } from 'vitest';
import { MAX_DOCUMENT_BYTES, parseDocumentText } from './parse-document-text.ts';

const failure = (input: string | Uint8Array) => {
  const parsed = parseDocumentText(input);
  if (parsed.ok) throw new Error('expected a failure');
  return parsed.error;
};

describe('parseDocumentText', () => {
  it('reads JSON and YAML, ignoring a BOM', () => {
    expect(parseDocumentText('{"a": 1}')).toEqual({ ok: true, value: { a: 1 } });
    expect(parseDocumentText('\uFEFFa: 1\nb: [x, y]\n')).toEqual({
      ok: true,
      value: { a: 1, b: ['x', 'y'] },
    });
    expect(parseDocumentText(Buffer.from('\uFEFF{"a": "é"}'))).toEqual({ ok: true, value: { a: 'é' } });
  });

  it('refuses empty, binary, non-UTF-8 and oversized input with exit codes', () => {
    expect(failure('  \n')).toMatchObject({
      code: 'E_SCHEMA',
      exitCode: 1,
      message: 'the document is empty',
    });
    expect(failure(Uint8Array.from([0x7b, 0x00, 0x7d]))).toMatchObject({ code: 'E_INPUT', exitCode: 2 });
    expect(failure(Uint8Array.from([0xff, 0xfe, 0x41]))).toMatchObject({ code: 'E_INPUT', exitCode: 2 });
    expect(failure('x'.repeat(MAX_DOCUMENT_BYTES + 1))).toMatchObject({ code: 'E_INPUT', exitCode: 2 });
  });

  it('refuses non-object roots', () => {
    expect(failure('[1, 2]')).toMatchObject({
      code: 'E_SCHEMA',
      exitCode: 1,
      message: expect.stringContaining('a list'),
    });
    expect(failure('42')).toMatchObject({ code: 'E_SCHEMA', exitCode: 1 });
    expect(failure('null')).toMatchObject({ code: 'E_SCHEMA', exitCode: 1 });
    expect(failure('just some words')).toMatchObject({ code: 'E_SCHEMA', exitCode: 1 });
  });

  it('refuses deep nesting before parsing', () => {
    expect(failure(`${'['.repeat(100_000)}${']'.repeat(100_000)}`)).toMatchObject({
      code: 'E_SCHEMA',
      exitCode: 1,
    });
    expect(failure(`a: ${'['.repeat(1000)}${']'.repeat(1000)}`)).toMatchObject({ code: 'E_SCHEMA' });
    let yaml = '';
    for (let depth = 0; depth < 80; depth += 1) yaml += `${' '.repeat(depth * 2)}k${depth}:\n`;
    expect(failure(`${yaml}${' '.repeat(160)}v: 1\n`)).toMatchObject({
      code: 'E_SCHEMA',
      message: expect.stringContaining('64'),
    });
    expect(parseDocumentText(`{"a": "${'['.repeat(500)}"}`).ok).toBe(true);
  });

  it('fails fast on YAML alias bombs', () => {
    const bomb = [
      'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]',
      'b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]',
      'c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]',
      'd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]',
      'e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]',
      'f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]',
      'g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]',
    ].join('\n');
    expect(failure(bomb)).toMatchObject({
      code: 'E_INPUT',
      exitCode: 2,
      hint: expect.stringContaining('aliases'),
    });
  });

  it('reports syntax errors as unreadable', () => {
    expect(parseDocumentText('{"a": 1,}').ok).toBe(true); // YAML flow style is accepted
    expect(failure('{"a": 1')).toMatchObject({
      code: 'E_INPUT',
      exitCode: 2,
      message: expect.stringContaining('JSON'),
    });
    expect(failure('a: 1\na: 2\n')).toMatchObject({
      code: 'E_INPUT',
      message: expect.stringContaining('YAML'),
    });
    expect(failure('a: [1, 2\n')).toMatchObject({ code: 'E_INPUT' });
  });
});
