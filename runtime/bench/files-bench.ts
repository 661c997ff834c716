// node bin/run-ts.mjs runtime/bench/files-bench.ts --json   (npm run bench:files)
// A large file end to end with bounded memory: one workflow on the real worker downloads FILE_MB (default 200) MB,
// generated on the fly by a local server, with http.request `responseType: "file"` into the Postgres file store,
// then uploads it raw to a local sink that hashes what arrives. Process RSS and heap are sampled every 20 ms
// throughout; the growth over the starting level is what the file cost in memory. Database: embedded (default) or
// DATABASE_URL. Prints one JSON object.
import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import { httpConnector } from '../../connectors/index.ts';
import { createSqlClient } from '../../db/index.ts';
import { startRun } from '../engine/engine.ts';
import { createEngineServices } from '../services.ts';
import { waitForRun } from '../store/run-store.ts';
import { runBenchMain } from './bench-database.ts';

const MiB = 1024 * 1024;
const FILE_BYTES = Number(process.env.FILE_MB ?? 200) * MiB;
const PIECE = Buffer.alloc(64 * 1024);
for (let i = 0; i < PIECE.length; i++) PIECE[i] = (i * 131 + 7) & 0xff;

function expectedSha(): string {
  const hash = createHash('sha256');
  for (let sent = 0; sent < FILE_BYTES; sent += PIECE.length) {
    hash.update(PIECE.subarray(0, Math.min(PIECE.length, FILE_BYTES - sent)));
  }
  return hash.digest('hex');
}

export async function measureFiles(url: string) {
  const received = { bytes: 0, sha256: '' };
  const server = createServer((request, response) => {
    if (request.url === '/big.bin') {
      response.writeHead(200, {
        'content-type': 'application/octet-stream',
        'content-length': String(FILE_BYTES),
      });
      let sent = 0;
      const pump = () => {
        while (sent < FILE_BYTES) {
          const part = PIECE.subarray(0, Math.min(PIECE.length, FILE_BYTES - sent));
          sent += part.length;
          if (!response.write(part)) return void response.once('drain', pump);
        }
        response.end();
      };
      pump();
      return;
    }
    const hash = createHash('sha256');
    request.on('data', (chunk: Buffer) => {
      received.bytes += chunk.length;
      hash.update(chunk);
    });
    request.on('end', () => {
      received.sha256 = hash.digest('hex');
      response.writeHead(204);
      response.end();
    });
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const address = server.address();
  const base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  const sql = createSqlClient(url, { max: 10 });
  const engine = await createEngineServices(
    { sql, url, kind: 'external', close: async () => {} },
    {
      env: {
        ...process.env,
        VMESH_SECRET_KEY: Buffer.alloc(32, 5).toString('base64'),
        VMESH_HTTP_ALLOW_HOSTS: '127.0.0.1',
        VMESH_FILE_MAX_BYTES: String(FILE_BYTES + MiB),
        VMESH_RUN_FILES_MAX_BYTES: String(FILE_BYTES + MiB),
      },
      connectors: [httpConnector],
    },
  );
  const worker = await engine.startWorker({ concurrency: 2 });
  try {
    const document = {
      schemaVersion: 1,
      name: 'files bench',
      trigger: { type: 'manual' },
      nodes: [
        {
          id: 'download',
          uses: 'http.request',
          timeoutMs: 600_000,
          with: { url: `${base}/big.bin`, responseType: 'file', timeoutMs: 300_000 },
        },
        {
          id: 'upload',
          uses: 'http.request',
          timeoutMs: 600_000,
          with: {
            method: 'PUT',
            url: `${base}/sink`,
            body: '{{ steps.download.output.file }}',
            timeoutMs: 300_000,
          },
        },
      ],
      edges: [{ from: 'download', to: 'upload' }],
    };
    if (process.env.ONLY_DOWNLOAD) {
      document.nodes = document.nodes.slice(0, 1);
      document.edges = [];
    }
    const { id } = await engine.workflows.create(document);
    global.gc?.();
    const before = process.memoryUsage();
    let peakRss = before.rss;
    let peakHeap = before.heapUsed;
    let peakBuffers = before.arrayBuffers;
    const sampler = setInterval(() => {
      const now = process.memoryUsage();
      peakRss = Math.max(peakRss, now.rss);
      peakHeap = Math.max(peakHeap, now.heapUsed);
      peakBuffers = Math.max(peakBuffers, now.arrayBuffers);
    }, 20);
    const started = Date.now();
    const { runId } = await startRun(sql, id, {});
    const view = await waitForRun(sql, runId, { timeoutMs: 900_000 });
    const seconds = (Date.now() - started) / 1000;
    clearInterval(sampler);
    const file = (view.steps.find((step) => step.id === 'download')?.output as { file?: { sha256: string } })
      ?.file;
    const expected = expectedSha();
    const mib = (value: number) => Math.round((value / MiB) * 10) / 10;
    return {
      status: view.status,
      fileBytes: FILE_BYTES,
      seconds: Math.round(seconds * 10) / 10,
      mbPerSecond: Math.round(((2 * FILE_BYTES) / MiB / seconds) * 10) / 10,
      storedShaMatches: file?.sha256 === expected,
      uploadedBytes: received.bytes,
      uploadedShaMatches: received.sha256 === expected,
      rssBeforeMiB: mib(before.rss),
      rssPeakMiB: mib(peakRss),
      rssGrowthMiB: mib(peakRss - before.rss),
      heapBeforeMiB: mib(before.heapUsed),
      heapPeakGrowthMiB: mib(peakHeap - before.heapUsed),
      arrayBuffersPeakGrowthMiB: mib(peakBuffers - before.arrayBuffers),
      fileMiB: mib(FILE_BYTES),
    };
  } finally {
    await worker.stop();
    await sql.end({ timeout: 5 });
    server.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await runBenchMain('files', 'files', 100, measureFiles);
}
