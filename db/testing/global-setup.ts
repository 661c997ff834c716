import { mkdtempSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import postgres from 'postgres';
import type { TestProject } from 'vitest/node';
import { installWorkerSchema } from '../../runtime/engine/worker-schema.ts';
import { startEmbeddedPostgres } from '../embedded.ts';
import { migrateDatabase } from '../migrate.ts';

export const TEMPLATE_DATABASE = 'vmesh_template';

declare module 'vitest' {
  export interface ProvidedContext {
    /** URL of a maintenance database on the test server; test files clone TEMPLATE_DATABASE from it. */
    testServerUrl: string;
  }
}

function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

/**
 * One PostgreSQL for the whole test run: TEST_DATABASE_URL when set, else an embedded server in a
 * throw-away directory. The template database is migrated once; each test file clones it.
 */
export default async function setup(project: TestProject) {
  // In the temp dir, not the checkout: as root the server runs as `postgres`, which may not enter the checkout's
  // parents (a clone under /root).
  const dataDir = mkdtempSync(join(tmpdir(), 'vmesh-test-pg-'));
  let stop = async () => {};
  let serverUrl: string;
  if (process.env.TEST_DATABASE_URL) {
    serverUrl = process.env.TEST_DATABASE_URL;
  } else {
    const server = await startEmbeddedPostgres({ dataDir, durability: 'fast', maxConnections: 400 });
    serverUrl = server.url;
    stop = async () => {
      await server.stop();
      await rm(dataDir, { recursive: true, force: true });
    };
  }
  const admin = postgres(serverUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`drop database if exists ${TEMPLATE_DATABASE} with (force)`);
  await admin.unsafe(`create database ${TEMPLATE_DATABASE}`);
  await admin.end();
  const templateUrl = withDatabase(serverUrl, TEMPLATE_DATABASE);
  await migrateDatabase(templateUrl);
  await installWorkerSchema(templateUrl);
  project.provide('testServerUrl', serverUrl);
  return async () => {
    await stop();
  };
}
