import { describe, expect, it } from 'vitest';
import { FORM_LIMITS } from './form-trigger-with.ts';
import { testCatalog } from './testing/test-catalog.ts';
import { validateWorkflow } from './validate.ts';

const formDocument = (withValue: unknown) => ({
  schemaVersion: 1,
  name: 'form',
  trigger: { type: 'form', with: withValue },
  nodes: [{ id: 'a', uses: 'core.transform', with: { value: '{{ trigger.fields }}' } }],
  edges: [],
});
const field = (name: string, extra: Record<string, unknown> = {}) => ({
  name,
  label: `Field ${name}`,
  type: 'text',
  ...extra,
});

function triggerErrors(withValue: unknown) {
  const report = validateWorkflow(formDocument(withValue), { catalog: testCatalog });
  return report.errors.map((issue) => ({ code: issue.code, path: issue.path, message: issue.message }));
}

describe('trigger.with of the form trigger', () => {
  it('accepts a form of every field type, and core.respond without a warning', () => {
    const report = validateWorkflow(
      {
        ...formDocument({
          title: 'All types',
          fields: [
            field('a'),
            field('b', { type: 'email', required: true }),
            field('c', { type: 'number' }),
            field('d', { type: 'select', options: ['x', 'y'] }),
            field('e', { type: 'checkbox' }),
            field('f', { type: 'textarea', maxLength: 5000 }),
            field('g', { type: 'date' }),
          ],
        }),
        nodes: [{ id: 'r', uses: 'core.respond', with: { status: 200, body: 'ok' } }],
      },
      { catalog: testCatalog },
    );
    expect(report.errors).toEqual([]);
    expect(report.warnings.map((warning) => warning.code)).not.toContain('W_RESPOND_WITHOUT_WEBHOOK');
  });

  it('refuses a form without title or fields', () => {
    expect(triggerErrors(undefined).map((error) => error.path)).toEqual(
      expect.arrayContaining(['/trigger/with/title', '/trigger/with/fields']),
    );
    expect(triggerErrors({ title: 'x', fields: [] })).toEqual([
      expect.objectContaining({ code: 'E_TRIGGER', path: '/trigger/with/fields' }),
    ]);
  });

  it('refuses duplicate and non-identifier names, naming the field', () => {
    expect(triggerErrors({ title: 'x', fields: [field('email'), field('email')] })).toEqual([
      expect.objectContaining({
        path: '/trigger/with/fields/1/name',
        message: expect.stringMatching(/"email"/),
      }),
    ]);
    for (const name of ['e-mail', '1st', '_token', 'a b', '', 'x'.repeat(65), '__proto__']) {
      expect(triggerErrors({ title: 'x', fields: [field(name)] }), name).toEqual([
        expect.objectContaining({ code: 'E_TRIGGER', path: '/trigger/with/fields/0/name' }),
      ]);
    }
  });

  it('needs options for a select, and only for a select', () => {
    expect(triggerErrors({ title: 'x', fields: [field('s', { type: 'select' })] })).toEqual([
      expect.objectContaining({ path: '/trigger/with/fields/0/options' }),
    ]);
    expect(
      triggerErrors({ title: 'x', fields: [field('s', { type: 'select', options: ['a', 'a'] })] }),
    ).toEqual([expect.objectContaining({ path: '/trigger/with/fields/0/options' })]);
    expect(triggerErrors({ title: 'x', fields: [field('t', { options: ['a'] })] })).toEqual([
      expect.objectContaining({ path: '/trigger/with/fields/0/options' }),
    ]);
    expect(triggerErrors({ title: 'x', fields: [field('n', { type: 'number', maxLength: 3 })] })).toEqual([
      expect.objectContaining({ path: '/trigger/with/fields/0/maxLength' }),
    ]);
  });

  it('caps sizes: fields, labels, title, description, options, unknown keys', () => {
    const many = Array.from({ length: FORM_LIMITS.fields + 1 }, (_, index) => field(`f${index}`));
    expect(triggerErrors({ title: 'x', fields: many })).toEqual([
      expect.objectContaining({ path: '/trigger/with/fields', message: expect.stringMatching(/at most 50/) }),
    ]);
    expect(triggerErrors({ title: 'x', fields: many.slice(0, FORM_LIMITS.fields) })).toEqual([]);
    expect(triggerErrors({ title: 'x', fields: [{ ...field('a'), label: 'l'.repeat(201) }] })).toEqual([
      expect.objectContaining({ path: '/trigger/with/fields/0/label' }),
    ]);
    expect(triggerErrors({ title: 'x', fields: [{ ...field('a'), label: 'two\nlines' }] })).toEqual([
      expect.objectContaining({ path: '/trigger/with/fields/0/label' }),
    ]);
    expect(triggerErrors({ title: 't'.repeat(201), fields: [field('a')] })).toEqual([
      expect.objectContaining({ path: '/trigger/with/title' }),
    ]);
    expect(triggerErrors({ title: 'x', description: 'd'.repeat(2001), fields: [field('a')] })).toEqual([
      expect.objectContaining({ path: '/trigger/with/description' }),
    ]);
    const options = Array.from({ length: 101 }, (_, index) => `o${index}`);
    expect(triggerErrors({ title: 'x', fields: [field('s', { type: 'select', options })] })).toEqual([
      expect.objectContaining({ path: '/trigger/with/fields/0/options' }),
    ]);
    expect(triggerErrors({ title: 'x', fields: [field('a', { maxLength: 10_001 })] })).toEqual([
      expect.objectContaining({ path: '/trigger/with/fields/0/maxLength' }),
    ]);
    expect(triggerErrors({ title: 'x', fields: [field('a', { placeholder: 'p' })] })).toEqual([
      expect.objectContaining({ path: '/trigger/with/fields/0' }),
    ]);
    expect(triggerErrors({ title: 'x', fields: [field('a', { type: 'color' })] })).toEqual([
      expect.objectContaining({ path: '/trigger/with/fields/0/type' }),
    ]);
  });

  it('takes file fields with accept and multiple, only on file fields', () => {
    expect(
      triggerErrors({
        title: 'x',
        fields: [field('a', { type: 'file', accept: ['.csv', 'text/csv', 'image/*'], multiple: true })],
      }),
    ).toEqual([]);
    expect(triggerErrors({ title: 'x', fields: [field('a', { accept: ['.csv'] })] })).toEqual([
      expect.objectContaining({ path: '/trigger/with/fields/0/accept' }),
    ]);
    expect(triggerErrors({ title: 'x', fields: [field('a', { multiple: true })] })).toEqual([
      expect.objectContaining({ path: '/trigger/with/fields/0/multiple' }),
    ]);
    expect(
      triggerErrors({ title: 'x', fields: [field('a', { type: 'file', accept: ['csv', '"><x'] })] }),
    ).toEqual([
      expect.objectContaining({ path: '/trigger/with/fields/0/accept/0' }),
      expect.objectContaining({ path: '/trigger/with/fields/0/accept/1' }),
    ]);
  });
});
