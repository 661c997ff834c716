import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const RUN_TS = fileURLToPath(new URL('../bin/run-ts.mjs', import.meta.url));
const SAMPLE = fileURLToPath(new URL('./testing/log-sample.ts', import.meta.url));

const logWith = (format: string | undefined) =>
  spawnSync(process.execPath, [RUN_TS, SAMPLE], {
    env: {
      PATH: process.env.PATH,
      LOG_LEVEL: 'info',
      ...(format === undefined ? {} : { LOG_FORMAT: format }),
    },
    encoding: 'utf8',
  });

describe('LOG_FORMAT', () => {
  it('is JSON lines by default, readable text with "pretty", refused otherwise; secrets are redacted in both', () => {
    const json = logWith(undefined);
    expect(json.status, json.stderr).toBe(0);
    const line = JSON.parse(json.stdout.trim()) as Record<string, unknown>;
    expect(line).toMatchObject({ level: 30, msg: 'run succeeded', runId: 'run_1' });
    expect(json.stdout).not.toContain('sample-secret-value-0123456789');

    const pretty = logWith('pretty');
    expect(pretty.status, pretty.stderr).toBe(0);
    expect(pretty.stdout).toMatch(/INFO.*run succeeded/);
    expect(pretty.stdout).toContain('runId: "run_1"');
    expect(pretty.stdout.trim().startsWith('{')).toBe(false);
    expect(pretty.stdout).not.toContain('sample-secret-value-0123456789');

    const bogus = logWith('xml');
    expect(bogus.status).not.toBe(0);
    expect(bogus.stderr).toContain('LOG_FORMAT must be "json" or "pretty", not "xml"');
  });
});
