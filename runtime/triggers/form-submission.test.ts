import { describe, expect, it } from 'vitest';
import type { FormField } from '../workflow/form-trigger-with.ts';
import { parseFormSubmission } from './form-submission.ts';

const fields: FormField[] = [
  { name: 'name', label: 'Name', type: 'text', required: true, maxLength: 10 },
  { name: 'email', label: 'Email', type: 'email', required: true },
  { name: 'size', label: 'Team size', type: 'number' },
  { name: 'plan', label: 'Plan', type: 'select', options: ['solo', 'team'] },
  { name: 'terms', label: 'Terms', type: 'checkbox', required: true },
  { name: 'news', label: 'News', type: 'checkbox' },
  { name: 'start', label: 'Start', type: 'date' },
  { name: 'notes', label: 'Notes', type: 'textarea' },
];
const good = { name: 'Ada', email: ' ada@example.com ', terms: 'on' };
const problemsOf = (values: Record<string, unknown>) => {
  const result = parseFormSubmission(fields, values);
  return result.ok ? [] : result.error.map((problem) => problem.name);
};

describe('parseFormSubmission', () => {
  it('gives every declared field a typed value and ignores the rest', () => {
    const result = parseFormSubmission(fields, {
      ...good,
      size: '12',
      plan: 'team',
      start: '2030-02-28',
      notes: 'line 1\r\nline 2',
      injected: 'x',
      __proto__: 'y',
    });
    expect(result).toEqual({
      ok: true,
      value: {
        name: 'Ada',
        email: 'ada@example.com',
        size: 12,
        plan: 'team',
        terms: true,
        news: false,
        start: '2030-02-28',
        notes: 'line 1\r\nline 2',
      },
    });
    const empty = parseFormSubmission(fields, good);
    expect(empty.ok && empty.value).toMatchObject({ size: null, plan: null, start: null, notes: null });
  });

  it('names each field that is missing or wrong', () => {
    expect(problemsOf({})).toEqual(['name', 'email', 'terms']);
    expect(problemsOf({ ...good, name: '   ' })).toEqual(['name']);
    expect(problemsOf({ ...good, name: 'x'.repeat(11) })).toEqual(['name']);
    for (const email of ['ada', 'ada@', '@example.com', 'a b@example.com', 'ada@example']) {
      expect(problemsOf({ ...good, email }), email).toEqual(['email']);
    }
    for (const size of ['abc', '1e999', '12px', 'Infinity', '0x10']) {
      expect(problemsOf({ ...good, size }), size).toEqual(['size']);
    }
    expect(problemsOf({ ...good, plan: 'enterprise' })).toEqual(['plan']);
    expect(problemsOf({ ...good, plan: 'Team' })).toEqual(['plan']);
    for (const start of ['2030-02-30', '2030-13-01', '30-01-01', '2030-1-1', 'tomorrow']) {
      expect(problemsOf({ ...good, start }), start).toEqual(['start']);
    }
    expect(problemsOf({ ...good, terms: undefined })).toEqual(['terms']);
    expect(problemsOf({ ...good, terms: 'maybe' })).toEqual(['terms']);
    expect(problemsOf({ ...good, notes: 'a\u0000b' })).toEqual(['notes']);
    expect(problemsOf({ ...good, notes: 'n'.repeat(10_001) })).toEqual(['notes']);
  });

  it('takes JSON values: numbers, booleans for checkboxes, never objects', () => {
    const result = parseFormSubmission(fields, { ...good, size: 3.5, terms: true, news: false });
    expect(result.ok && result.value).toMatchObject({ size: 3.5, terms: true, news: false });
    expect(problemsOf({ ...good, name: { $gt: '' } })).toEqual(['name']);
    expect(problemsOf({ ...good, email: ['a@example.com'] })).toEqual(['email']);
    expect(problemsOf({ ...good, terms: 1 })).toEqual(['terms']);
  });
});
