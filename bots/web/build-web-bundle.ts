import { mkdir, readdir, rm, rmdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

export const WEB_DIR = fileURLToPath(new URL('.', import.meta.url));
export const DEFAULT_DIST_DIR = join(WEB_DIR, 'dist');
const STAMP = '.build-stamp';

export type WebBundleResult = { built: boolean; ms: number; distDir: string };

async function newestSourceMtime(): Promise<number> {
  let newest = 0;
  const visit = async (dir: string): Promise<void> => {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) await visit(path);
      else if (!entry.name.endsWith('.test.ts')) newest = Math.max(newest, (await stat(path)).mtimeMs);
    }
  };
  await visit(join(WEB_DIR, 'client'));
  newest = Math.max(newest, (await stat(join(WEB_DIR, 'workflow-to-mermaid.ts'))).mtimeMs);
  // workflow-to-mermaid.ts reads node shapes from the core node declarations.
  await visit(fileURLToPath(new URL('../../runtime/nodes', import.meta.url)));
  return newest;
}

async function stampMtime(distDir: string): Promise<number> {
  try {
    return (await stat(join(distDir, STAMP))).mtimeMs;
  } catch {
    return -1;
  }
}

/**
 * Bundles the browser code with esbuild into `distDir` when the bundle is missing or older than its
 * sources (so `npm start` works on a fresh clone). Mermaid lands in its own lazily loaded chunks.
 */
export async function ensureWebBundle(
  options: { distDir?: string; force?: boolean } = {},
): Promise<WebBundleResult> {
  const distDir = options.distDir ?? DEFAULT_DIST_DIR;
  const started = performance.now();
  if (!options.force && (await stampMtime(distDir)) >= (await newestSourceMtime())) {
    return { built: false, ms: performance.now() - started, distDir };
  }
  await mkdir(distDir, { recursive: true });
  const lock = join(distDir, '.building');
  // A lock left by a process that died mid-build (builds take seconds) is taken over.
  const lockAge = await stat(lock).then(
    (info) => Date.now() - info.mtimeMs,
    () => 0,
  );
  if (lockAge > 60_000) await rmdir(lock).catch(() => {});
  try {
    await mkdir(lock);
  } catch {
    // Another process (a parallel test file, a second server) is building: wait for its stamp.
    const deadline = Date.now() + 120_000;
    while (Date.now() < deadline && (await stampMtime(distDir)) < (await newestSourceMtime()))
      await delay(100);
    return { built: false, ms: performance.now() - started, distDir };
  }
  try {
    await rm(join(distDir, 'assets'), { recursive: true, force: true });
    await bundle(distDir);
    await writeFile(join(distDir, STAMP), new Date().toISOString());
  } finally {
    await rmdir(lock);
  }
  return { built: true, ms: performance.now() - started, distDir };
}

async function bundle(distDir: string): Promise<void> {
  const { build } = await import('esbuild');
  await build({
    entryPoints: { main: join(WEB_DIR, 'client', 'main.ts'), style: join(WEB_DIR, 'client', 'style.css') },
    outdir: join(distDir, 'assets'),
    bundle: true,
    splitting: true,
    format: 'esm',
    minify: true,
    target: ['es2022'],
    chunkNames: 'chunks/[name]-[hash]',
    legalComments: 'none',
    logLevel: 'silent',
  });
}
