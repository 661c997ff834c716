import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadImportedConnectors } from '../../connectors/openapi/index.ts';
import { createTestDatabase, type TestDatabase } from '../../db/testing/test-database.ts';
import { registerConnectorsImportCommand } from './connectors-import.ts';

let db: TestDatabase;
let dir: string;
const petstorePath = fileURLToPath(
  new URL('../../connectors/openapi/fixtures/petstore3.json', import.meta.url),
);

beforeAll(async () => {
  db = await createTestDatabase({ poolSize: 2 });
  dir = await mkdtemp(join(tmpdir(), 'vmesh-openapi-'));
});
afterAll(async () => {
  await db.drop();
  await rm(dir, { recursive: true, force: true });
});

function sink() {
  let text = '';
  const stream = new Writable({
    write(chunk, _encoding, done) {
      text += String(chunk);
      done();
    },
  });
  return { stream, text: () => text };
}

async function vmesh(args: string[]) {
  const out = sink();
  const err = sink();
  const program = new Command().exitOverride();
  const connectors = program.command('connectors');
  registerConnectorsImportCommand(connectors, {
    openSql: async () => ({ sql: db.sql, close: async () => {} }),
    stdout: out.stream,
    stderr: err.stream,
  });
  process.exitCode = 0;
  await program.parseAsync(['node', 'vmesh', 'connectors', 'import-openapi', ...args]);
  const exitCode = process.exitCode;
  process.exitCode = 0;
  return { stdout: out.text(), stderr: err.text(), exitCode };
}

describe('vmesh connectors import-openapi', () => {
  it('imports the Petstore spec, stores it and indexes its operations', async () => {
    const result = await vmesh([
      petstorePath,
      '--name',
      'petstore',
      '--base-url',
      'https://petstore3.swagger.io/api/v3',
    ]);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain('Imported "petstore" from Swagger Petstore - OpenAPI 3.0: 19 actions');
    expect(result.stdout).toContain('petstore.getPetById (read)');
    const [loaded] = await loadImportedConnectors(db.sql);
    expect(loaded?.actions).toHaveLength(19);
    const [indexed] =
      await db.sql`select count(distinct source_id)::int as n from doc_chunks where source_id like 'openapi:petstore:%'`;
    expect(indexed?.n).toBe(20);
    const [entry] = await db.sql`select actor, via, action from audit_log where subject_id = 'petstore'`;
    expect(entry).toMatchObject({ actor: 'owner', via: 'cli', action: 'connector.imported' });
  });

  it('reads YAML and prints JSON with --json', async () => {
    const file = join(dir, 'tiny.yaml');
    await writeFile(
      file,
      'openapi: 3.1.0\ninfo: {title: Tiny, version: 1.0.0}\nservers: [{url: "https://tiny.example"}]\npaths:\n  /ping:\n    get: {operationId: ping, summary: Ping, responses: {"200": {description: ok}}}\n',
    );
    const result = await vmesh([file, '--name', 'tiny', '--json']);
    expect(result.exitCode).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({
      name: 'tiny',
      baseUrl: 'https://tiny.example',
      actions: [{ id: 'tiny.ping', effect: 'read' }],
    });
  });

  it('explains what to change: relative server, reserved name, unreadable file', async () => {
    const relative = await vmesh([petstorePath, '--name', 'pets']);
    expect(relative.exitCode).toBe(1);
    expect(relative.stderr).toContain('--base-url');
    const reserved = await vmesh([petstorePath, '--name', 'slack', '--base-url', 'https://x.example']);
    expect(reserved.exitCode).toBe(1);
    expect(reserved.stderr).toContain('built-in connector');
    const missing = await vmesh([join(dir, 'nope.json'), '--name', 'nope']);
    expect(missing.exitCode).toBe(2);
  });
});
