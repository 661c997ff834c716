import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliOptions, cliEnv, runCli } from './testing/cli-process.ts';

/**
 * Every failing form of a command exits non-zero as a real process, with a message. On the embedded default, as a
 * new user runs them (the embedded database's exit handling once reset every exit code to 0).
 */
describe('vmesh exit codes (real processes, embedded default)', () => {
  let dataDir: string;
  let env: NodeJS.ProcessEnv;

  beforeAll(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'vmesh-exit-'));
    env = cliEnv({ VMESH_DATA_DIR: dataDir });
  });
  afterAll(() => {
    rmSync(dataDir, { recursive: true, force: true });
  });

  const vmesh = (args: string[], options: CliOptions = {}) => runCli(args, { env, ...options });

  it('credentials: a stored secret exits 0; an invalid secret, no stdin and an unknown name exit 1', async () => {
    const stored = await vmesh(['credentials', 'set', 'bot', '--type', 'slack'], {
      stdin: 'xoxb-1111-2222-abcdef',
    });
    expect(stored, stored.stderr).toMatchObject({ code: 0 });
    const [invalid, noStdin, unknown, noType] = await Promise.all([
      vmesh(['credentials', 'set', 'gh', '--type', 'github'], { stdin: 'short' }),
      vmesh(['credentials', 'set', 'gh', '--type', 'github'], { stdin: null }),
      vmesh(['credentials', 'delete', 'nope']),
      vmesh(['credentials', 'set', 'gh']),
    ]);
    expect(invalid.code).toBe(1);
    expect(invalid.stderr).toContain('not a valid "github" credential');
    expect(invalid.stderr).not.toContain('short');
    expect(noStdin.code).toBe(1);
    expect(noStdin.stderr).toMatch(/vmesh: /);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/no credential named "nope"/i);
    expect(noType.code).not.toBe(0);
    expect(noType.stderr).toContain('--type');
    const deleted = await vmesh(['credentials', 'delete', 'bot']);
    expect(deleted.code).toBe(0);
  }, 120_000);

  it('lookups of unknown ids, unreadable files, bad options and bad configuration exit non-zero', async () => {
    const missingFile = join(dataDir, 'missing.json');
    const results = await Promise.all([
      vmesh(['workflows', 'get', 'wf_unknown']),
      vmesh(['runs', 'get', '00000000-0000-0000-0000-000000000000']),
      vmesh(['proposals', 'approve', 'prop_unknown']),
      vmesh(['validate', missingFile]),
      vmesh(['run', missingFile]),
      vmesh(['docs', 'search', 'slack', '--k', '0']),
      vmesh(['connectors', 'import-openapi', missingFile, '--name', 'nothing']),
      vmesh(['no-such-command']),
      runCli(['workflows', 'list'], { env: { ...env, DATABASE_URL: 'mysql://x@localhost/db' } }),
    ]);
    for (const result of results) {
      expect(result.code, JSON.stringify(result)).not.toBe(0);
      expect(result.code, JSON.stringify(result)).not.toBeNull();
      expect(`${result.stderr}${result.stdout}`, JSON.stringify(result)).toMatch(/\S/);
    }
    const [, , , validate, run] = results;
    expect(validate?.code).toBe(2);
    expect(run?.code).toBe(2);
    expect(results.at(-1)?.stderr).toContain('DATABASE_URL must start with postgres://');
  }, 120_000);
});
