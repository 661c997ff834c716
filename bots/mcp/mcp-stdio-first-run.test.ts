import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cliEnv, exited, spawnCli } from '../../cli/testing/cli-process.ts';

/** A JSON-RPC peer over a child's stdio, one message per line (MCP's stdio transport). */
function rpcOver(child: ChildProcess) {
  let buffer = '';
  const waiting = new Map<number, (message: { result?: unknown; error?: unknown }) => void>();
  child.stdout?.on('data', (chunk: Buffer) => {
    buffer += chunk.toString('utf8');
    for (let newline = buffer.indexOf('\n'); newline >= 0; newline = buffer.indexOf('\n')) {
      const line = buffer.slice(0, newline);
      buffer = buffer.slice(newline + 1);
      const message = JSON.parse(line) as { id?: number; result?: unknown; error?: unknown };
      if (message.id !== undefined) waiting.get(message.id)?.(message);
    }
  });
  let nextId = 1;
  return {
    request(method: string, params: object): Promise<{ result?: unknown; error?: unknown }> {
      const id = nextId++;
      child.stdin?.write(`${JSON.stringify({ jsonrpc: '2.0', id, method, params })}\n`);
      return new Promise((resolve) => waiting.set(id, resolve));
    },
    notify(method: string) {
      child.stdin?.write(`${JSON.stringify({ jsonrpc: '2.0', method })}\n`);
    },
  };
}

describe('`vmesh mcp` on a fresh data dir, driven as MCP clients drive it', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'vmesh-mcp-'));
  let child: ChildProcess | undefined;
  afterAll(() => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('answers the first search_docs from a complete index, and exits when its client closes stdin', async () => {
    child = spawnCli(['mcp'], { env: cliEnv({ VMESH_DATA_DIR: dataDir }) });
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
    });
    const rpc = rpcOver(child);
    const initialized = await rpc.request('initialize', {
      protocolVersion: '2025-06-18',
      capabilities: {},
      clientInfo: { name: 'first-run-test', version: '1' },
    });
    expect(initialized.error, stderr).toBeUndefined();
    rpc.notify('notifications/initialized');

    // Sent at once: on a fresh data dir the index sync is still running, and the search waits for it.
    const called = await rpc.request('tools/call', {
      name: 'search_docs',
      arguments: { query: 'send a message to a slack channel', k: 3 },
    });
    const result = called.result as {
      structuredContent?: { results: { id: string }[] };
      content: { text: string }[];
    };
    const hits = result.structuredContent?.results ?? JSON.parse(result.content[0]?.text ?? '{}').results;
    expect(hits.map((hit: { id: string }) => hit.id)).toContain('slack.postMessage');
    expect(hits[0]?.id).toBe('slack.postMessage');

    const closing = performance.now();
    child.stdin?.end();
    const exit = await exited(child);
    const exitMs = performance.now() - closing;
    expect(exit, stderr).toEqual({ code: 0, signal: null });
    expect(exitMs).toBeLessThan(5_000);
    // It was the only process using the embedded database, so it stopped it on the way out.
    expect(existsSync(join(dataDir, 'postgres', 'postmaster.pid'))).toBe(false);
  }, 120_000);
});
