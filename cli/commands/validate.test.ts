import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { validateFile } from './validate.ts';

const root = join(import.meta.dirname, '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'vmesh-validate-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, content: string | Uint8Array): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

const valid = JSON.stringify({
  schemaVersion: 1,
  name: 'Greeting',
  trigger: { type: 'manual' },
  nodes: [
    { id: 'greet', uses: 'core.transform', with: { value: 'Hello {{ trigger.name }}' } },
    { id: 'gruß_ü', uses: 'core.transform', with: { value: 1 } },
  ],
});

let nested = '1';
for (let depth = 0; depth < 5000; depth += 1) nested = `{"a":${nested}}`;

const bomb = [
  'a: &a [x,x,x,x,x,x,x,x,x]',
  ...'bcdefgh'.split('').map((name, index) => {
    const previous = 'abcdefgh'[index];
    return `${name}: &${name} [${Array(9).fill(`*${previous}`).join(',')}]`;
  }),
].join('\n');

const inputs = {
  valid: file('valid.json', valid),
  empty: file('empty.json', ''),
  binary: file('binary.bin', Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x00, 0x01, 0xff])),
  huge: file('huge.json', `{"schemaVersion":1,"name":"${'x'.repeat(10 * 1024 * 1024)}"}`),
  nested: file('nested.json', nested),
  bomb: file('bomb.yaml', bomb),
  array: file('array.json', '[1,2,3]'),
  unicodeIds: file(
    'unicode.json',
    JSON.stringify({
      schemaVersion: 1,
      name: 'ünïcödé',
      trigger: { type: 'manual' },
      nodes: [{ id: 'schritt_ü', uses: 'core.transform', with: { value: 1 } }],
    }),
  ),
  missing: join(dir, 'does-not-exist.json'),
};

describe('validateFile (in process)', () => {
  const cases: [keyof typeof inputs, 0 | 1 | 2, string][] = [
    ['valid', 1, 'E_SCHEMA'], // "gruß_ü" breaks the id pattern
    ['empty', 1, 'E_SCHEMA'],
    ['binary', 2, 'E_INPUT'],
    ['huge', 2, 'E_INPUT'],
    ['nested', 1, 'E_SCHEMA'],
    ['bomb', 2, 'E_INPUT'],
    ['array', 1, 'E_SCHEMA'],
    ['unicodeIds', 1, 'E_SCHEMA'],
    ['missing', 2, 'E_INPUT'],
  ];
  for (const [name, exitCode, code] of cases) {
    it(`${name}: exit ${exitCode} with ${code}`, async () => {
      const outcome = await validateFile(inputs[name]);
      expect(outcome.exitCode).toBe(exitCode);
      expect(outcome.errors[0]?.code).toBe(code);
      expect(outcome.errors[0]?.hint.length).toBeGreaterThan(10);
    });
  }
});

type Run = { code: number | null; stdout: string; stderr: string };
const run = (...args: string[]): Promise<Run> =>
  new Promise((resolve) => {
    execFile(
      process.execPath,
      ['bin/vmesh.mjs', 'validate', ...args],
      { cwd: root, maxBuffer: 1 << 24 },
      (error, stdout, stderr) => {
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
      },
    );
  });

describe('vmesh validate (spawned)', () => {
  it('prints the JSON report and the documented exit codes, never crashing on bad input', async () => {
    const validFile = file(
      'ok.yaml',
      'schemaVersion: 1\nname: ok\ntrigger: { type: manual }\nnodes:\n  - { id: a, uses: core.transform, with: { value: 1 } }\n',
    );
    // Few spawns: each loads the whole CLI (seconds on a busy machine). The inputs are covered in process above.
    const [ok, invalid, huge] = await Promise.all([
      run(validFile, '--json'),
      run(inputs.unicodeIds, '--json'),
      run(inputs.huge),
    ]);
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout)).toEqual({ valid: true, errors: [], warnings: [] });
    expect(invalid.code).toBe(1);
    const report = JSON.parse(invalid.stdout) as { valid: boolean; errors: { code: string; path: string }[] };
    expect(Object.keys(report)).toEqual(['valid', 'errors', 'warnings']);
    expect(report.errors[0]).toMatchObject({ code: 'E_SCHEMA', path: '/nodes/0/id' });
    expect(huge.code).toBe(2);
    expect(huge.stdout).toContain('error E_INPUT at /');
    expect(huge.stdout).toContain('the limit is 5242880 bytes');
    for (const result of [ok, invalid, huge]) expect(result.stderr).not.toMatch(/at .*\.ts:\d+/);
  }, 180_000);
});
