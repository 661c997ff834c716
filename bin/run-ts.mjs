#!/usr/bin/env node
// Runs one TypeScript entry file (benchmarks, evals): `node bin/run-ts.mjs FILE [args…]`.
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

if (!process.features.typescript) {
  const { register } = await import('tsx/esm/api');
  register();
}
const [entry, ...rest] = process.argv.slice(2);
if (!entry) {
  console.error('usage: run-ts FILE [args…]');
  process.exit(2);
}
process.argv = [process.argv[0], resolve(entry), ...rest];
await import(pathToFileURL(resolve(entry)).href);
