#!/usr/bin/env node
// Runs the TypeScript CLI with no build step: Node's own type stripping where it has it (Node ≥ 22.18,
// the node@24 devDependency), tsx's loader on older runtimes.
if (!process.features.typescript) {
  const { register } = await import('tsx/esm/api');
  register();
}
await import('../cli/main.ts');
