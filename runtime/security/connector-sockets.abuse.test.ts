import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SmtpFake, startSmtpFake } from '../../connectors/email/fake-server.ts';
import {
  createCredentialStore,
  emailConnector,
  parseSecretKey,
  postgresConnector,
} from '../../connectors/index.ts';
import { createTestDatabase, type TestDatabase } from '../../db/testing/test-database.ts';
import { startRun } from '../engine/engine.ts';
import type { EngineWorker } from '../engine/worker.ts';
import { createEngineServices, type EngineServices } from '../services.ts';
import { waitForRun } from '../store/run-store.ts';

// Connectors that open their own sockets (email over SMTP, postgres) go through the same outbound guard as
// HTTP: through a real worker configured from the environment (VMESH_HTTP_ALLOW_HOSTS=127.0.0.1), a host that
// is, or resolves to, a blocked address fails the step with E_BLOCKED_DESTINATION before anything is sent, and
// the allowed host still works.

let db: TestDatabase;
let smtp: SmtpFake;
let engine: EngineServices;
let worker: EngineWorker;
let store: ReturnType<typeof createCredentialStore>;
const secretKey = randomBytes(32).toString('base64');

beforeAll(async () => {
  db = await createTestDatabase({ poolSize: 6 });
  smtp = await startSmtpFake({ user: 'bot@example.com', pass: 'smtp-pass-123' });
  const env = { VMESH_SECRET_KEY: secretKey, VMESH_HTTP_ALLOW_HOSTS: '127.0.0.1' };
  const database = { sql: db.sql, url: db.url, kind: 'external' as const, close: async () => {} };
  engine = await createEngineServices(database, { env, connectors: [emailConnector, postgresConnector] });
  store = createCredentialStore({
    sql: db.sql,
    key: parseSecretKey(secretKey),
    types: [emailConnector.credential!, postgresConnector.credential!],
  });
  worker = await engine.startWorker({ concurrency: 2 });
});
afterAll(async () => {
  await worker?.stop();
  await smtp?.close();
  await db?.drop();
});

async function runOne(name: string, node: Record<string, unknown>) {
  const { id } = await engine.workflows.create({
    schemaVersion: 1,
    name,
    trigger: { type: 'manual' },
    nodes: [{ id: 'step', retry: { maxAttempts: 1 }, ...node }],
    edges: [],
  });
  const { runId } = await startRun(db.sql, id, {});
  return waitForRun(db.sql, runId, { timeoutMs: 20_000 });
}

const errorCode = (view: { steps: { error: unknown }[] }) =>
  (view.steps[0]?.error as { code?: string } | null)?.code;

async function sendVia(host: string) {
  const credential = `smtp-${host.replace(/[^a-z0-9]/gi, '-')}`;
  await store.set(credential, 'smtp', {
    host,
    port: smtp.port,
    secure: false,
    user: 'bot@example.com',
    pass: 'smtp-pass-123',
    from: 'Bot <bot@example.com>',
  });
  return runOne(`mail via ${host}`, {
    uses: 'email.send',
    credential,
    with: { to: 'ana@example.com', subject: `via ${host}`, text: 'hello' },
  });
}

describe('email.send and postgres.query are inside the outbound guard', () => {
  it('email.send to a metadata address, a loopback name and a mapped loopback is blocked; nothing is sent', async () => {
    for (const host of ['169.254.169.254', 'localhost', '::ffff:127.0.0.1', '0.0.0.0']) {
      const view = await sendVia(host);
      expect(view.status, host).toBe('failed');
      expect(errorCode(view), host).toBe('E_BLOCKED_DESTINATION');
      // The SMTP host is a setting, not a secret: the error can name it.
      expect(JSON.stringify(view.steps[0]?.error), host).not.toContain('[REDACTED]');
    }
    expect(smtp.received).toHaveLength(0);
  });

  it('email.send to the allowed host still works', async () => {
    const view = await sendVia('127.0.0.1');
    expect(view.status, JSON.stringify(view.steps[0]?.error)).toBe('succeeded');
    expect(smtp.received.map((mail) => mail.parsed.subject)).toEqual(['via 127.0.0.1']);
  });

  it('postgres.query to a loopback name, a metadata address or 0.0.0.0 is blocked; the allowed host works', async () => {
    const allowed = new URL(db.url);
    allowed.hostname = '127.0.0.1';
    const blocked = (host: string) => {
      const url = new URL(allowed);
      url.hostname = host;
      return url.toString();
    };
    const cases: [string, string, string][] = [
      ['pg-localhost', blocked('localhost'), 'failed'],
      ['pg-metadata', blocked('169.254.169.254'), 'failed'],
      ['pg-unspecified', blocked('0.0.0.0'), 'failed'],
      ['pg-allowed', allowed.toString(), 'succeeded'],
    ];
    for (const [name, url, expected] of cases) {
      await store.set(name, 'postgres', { url });
      const view = await runOne(name, {
        uses: 'postgres.query',
        credential: name,
        with: { sql: 'select 1 as one' },
      });
      expect(view.status, `${name}: ${JSON.stringify(view.steps[0]?.error)}`).toBe(expected);
      if (expected === 'failed') {
        expect(errorCode(view), name).toBe('E_BLOCKED_DESTINATION');
        // The error names the host it refused: connection settings are not secrets.
        expect(JSON.stringify(view.steps[0]?.error), name).not.toContain('[REDACTED]');
      } else expect(view.steps[0]?.output).toMatchObject({ rows: [{ one: 1 }] });
    }
  });
});
