import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createCatalog } from './catalog.ts';
import { parseDocumentText } from './parse-document-text.ts';
import { testCatalog } from './testing/test-catalog.ts';
import { validateWorkflow } from './validate.ts';
import { ERROR_CODES } from './validation-issue.ts';

const fixtures = join(import.meta.dirname, '__fixtures__');

function load(path: string): unknown {
  const parsed = parseDocumentText(readFileSync(path));
  if (!parsed.ok) throw new Error(`${path}: ${parsed.error.message}`);
  return parsed.value;
}

const validFiles = readdirSync(join(fixtures, 'valid'));
const invalidFiles = readdirSync(join(fixtures, 'invalid'));

describe('golden fixtures', () => {
  for (const file of validFiles) {
    it(`accepts valid/${file}`, () => {
      const report = validateWorkflow(load(join(fixtures, 'valid', file)), {
        catalog: testCatalog,
        knownCredentials: ['acme'],
      });
      expect(report.errors).toEqual([]);
      expect(report.valid).toBe(true);
      expect(report.document?.schemaVersion).toBe(1);
    });
  }

  for (const file of invalidFiles) {
    const code = file.split('-')[0] ?? '';
    it(`rejects invalid/${file} with ${code} only`, () => {
      const report = validateWorkflow(load(join(fixtures, 'invalid', file)), { catalog: testCatalog });
      expect(report.valid).toBe(false);
      expect([...new Set(report.errors.map((issue) => issue.code))]).toEqual([code]);
      for (const issue of report.errors) {
        expect(issue.path === '' || issue.path.startsWith('/')).toBe(true);
        expect(issue.message.length).toBeGreaterThan(10);
        expect(issue.hint.length).toBeGreaterThan(10);
      }
    });
  }

  it('has a triggering document and a near miss for every error code', () => {
    for (const code of ERROR_CODES) {
      expect(invalidFiles.some((file) => file.startsWith(`${code}-`))).toBe(true);
      expect(validFiles.some((file) => file.startsWith(`near-miss-${code}-`))).toBe(true);
    }
  });
});

const base = { schemaVersion: 1, name: 'test', trigger: { type: 'manual' } };
const validate = (document: unknown, knownCredentials?: string[]) =>
  validateWorkflow(document, { catalog: testCatalog, ...(knownCredentials ? { knownCredentials } : {}) });

describe('validateWorkflow', () => {
  it('points at the exact field and says how to fix it', () => {
    const report = validate({
      ...base,
      nodes: [
        {
          id: 'post',
          uses: 'acme.sendMessage',
          credential: 'acme',
          with: { channel: '#a', text: 'x', priority: 9 },
        },
      ],
    });
    expect(report.errors).toEqual([
      {
        code: 'E_PARAMS',
        path: '/nodes/0/with/priority',
        message: expect.stringContaining('node "post"'),
        hint: expect.stringContaining('1–5'),
      },
    ]);
  });

  it('suggests the closest actions for an unknown one', () => {
    const report = validate({ ...base, nodes: [{ id: 'a', uses: 'acme.sendMesage', with: {} }] });
    expect(report.errors[0]?.hint).toContain('"acme.sendMessage"');
    const core = validate({ ...base, nodes: [{ id: 'a', uses: 'core.iff', with: {} }] });
    expect(core.errors[0]?.hint).toContain('"core.if"');
  });

  it('lists allowed keys for an unknown parameter', () => {
    const report = validate({ ...base, nodes: [{ id: 'w', uses: 'core.delay', with: { seconds: 5 } }] });
    const unknownKey = report.errors.find((issue) => issue.path === '/nodes/0/with/seconds');
    expect(unknownKey?.hint).toContain('ms, until');
  });

  it('lets foreach bodies read outer upstream steps and earlier body siblings only', () => {
    const document = {
      ...base,
      nodes: [
        { id: 'first', uses: 'core.transform', with: { value: [1] } },
        {
          id: 'each',
          uses: 'core.foreach',
          with: { items: '{{ steps.first.output }}' },
          do: {
            nodes: [
              { id: 'a', uses: 'core.transform', with: { value: '{{ steps.b.output }}' } },
              {
                id: 'b',
                uses: 'core.transform',
                with: { value: '{{ steps.first.output[index] + steps.each.output }}' },
              },
            ],
            edges: [{ from: 'b', to: 'a' }],
          },
        },
      ],
      edges: [{ from: 'first', to: 'each' }],
    };
    const report = validate(document);
    expect(report.errors).toEqual([
      expect.objectContaining({
        code: 'E_REFERENCE',
        path: '/nodes/1/do/nodes/1/with/value',
        message: expect.stringContaining('inside the body of "each"'),
      }),
    ]);
  });

  it('warns about missing and unknown credentials, unused branches and unknown roots', () => {
    const report = validate(
      {
        ...base,
        nodes: [
          { id: 'check', uses: 'core.if', with: { condition: '{{ body.ok }}' } },
          { id: 'post', uses: 'acme.sendMessage', with: { channel: '#a', text: '{{ vars.missing }}' } },
          { id: 'get', uses: 'acme.getItem', credential: 'acm', with: { id: 1 } },
          {
            id: 'shape',
            uses: 'core.transform',
            credential: 'acme',
            with: { value: '{{ steps.get.body }}' },
          },
        ],
        edges: [
          { from: 'check', to: 'post', branch: 'true' },
          { from: 'get', to: 'shape' },
        ],
        extra: true,
      },
      ['acme'],
    );
    expect(report.valid).toBe(true);
    const codes = report.warnings.map((issue) => `${issue.code} ${issue.path}`);
    expect(codes).toEqual(
      expect.arrayContaining([
        'W_MISSING_CREDENTIAL /nodes/1',
        'W_UNKNOWN_CREDENTIAL /nodes/2/credential',
        'W_CREDENTIAL_NOT_NEEDED /nodes/3/credential',
        'W_BRANCH_UNUSED /nodes/0',
        'W_UNKNOWN_ROOT /nodes/0/with/condition',
        'W_UNKNOWN_VAR /nodes/1/with/text',
        'W_STEP_FIELD /nodes/3/with/value',
        'W_UNKNOWN_FIELD /extra',
      ]),
    );
    expect(report.warnings.find((issue) => issue.code === 'W_UNKNOWN_CREDENTIAL')?.hint).toContain('acme');
  });

  it('never echoes a secret in its issues', () => {
    const token = ['ghp', '_', 'a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8'].join('');
    const report = validate({
      ...base,
      nodes: [{ id: 'a', uses: 'core.transform', with: { value: `token ${token}` } }],
    });
    expect(report.errors[0]?.code).toBe('E_INLINE_SECRET');
    expect(JSON.stringify([report.errors, report.warnings])).not.toContain(token.slice(4));
  });

  it('reports non-objects and over-deep documents without throwing', () => {
    expect(validate(null).errors[0]?.code).toBe('E_SCHEMA');
    expect(validate([1]).errors[0]?.message).toContain('array');
    let deep: unknown = 1;
    for (let index = 0; index < 10_000; index += 1) deep = { a: deep };
    const report = validate({ ...base, nodes: [{ id: 'a', uses: 'core.transform', with: { value: deep } }] });
    expect(report.errors[0]?.code).toBe('E_SCHEMA');
    expect(report.errors[0]?.message).toContain('deeper than 64');
  });

  it('caps the number of issues', () => {
    const nodes = Array.from({ length: 500 }, () => ({
      id: 'same',
      uses: 'core.transform',
      with: { value: 1 },
    }));
    const report = validate({ ...base, nodes });
    expect(report.errors.length).toBe(200);
    expect(report.warnings.at(-1)?.code).toBe('W_TRUNCATED');
  });

  it('builds a catalog from connectors and refuses duplicate names', () => {
    const catalog = createCatalog([]);
    expect(catalog.lookupAction('core.if')?.branches({})).toEqual(['true', 'false']);
    expect(catalog.lookupAction('core.switch')?.branches({ cases: { a: true } })).toEqual(['a', 'default']);
    expect(catalog.lookupAction('core.approval')?.branches({})).toEqual(['approved', 'rejected']);
    expect(catalog.triggers().map((trigger) => trigger.type)).toEqual([
      'manual',
      'webhook',
      'form',
      'schedule',
      'chat',
      'workflow.failed',
    ]);
    expect(testCatalog.lookupAction('acme.sendMessage')?.credentialType).toBe('acme');
    expect(testCatalog.lookupTrigger('acme.itemCreated')?.connectorId).toBe('acme');
    const entry = testCatalog.lookupAction('acme.getItem');
    if (!entry) throw new Error('missing');
    expect(() => createCatalog([], { actions: [entry, entry] })).toThrow(/two actions/);
  });
});
