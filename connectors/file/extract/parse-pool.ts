// Whole-file parsers (pdf, xlsx, docx, json, xml, html) run in a few worker threads, not on the worker's event
// loop: a pathological file (a PDF whose content streams take seconds, a huge workbook) cannot stall the other
// steps, the HTTP server or the job heartbeats. Each parse has a time limit and a heap cap; past either, its
// thread is terminated and replaced, and the step fails with E_FILE_LIMIT.
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { ConnectorError } from '../../sdk/connector-error.ts';
import { fileLimitError } from '../file-errors.ts';
import type { Extracted, ExtractOptions, WholeFileFormat } from './extract-options.ts';
import type { ParseAnswer, ParseJob } from './parse-worker.ts';

/** Longest one file may take to parse (the step's own timeout may stop it sooner). */
export const PARSE_TIME_LIMIT_MS = 60_000;
/** Old-generation heap of a parse thread, MiB: a 20 MiB file and what it unpacks to fit well inside. */
export const PARSE_HEAP_MB = 512;
const THREADS = Math.max(1, Math.min(2, availableParallelism()));
const WORKER_URL = new URL('./parse-worker.ts', import.meta.url);

type Job = {
  message: ParseJob;
  signal: AbortSignal | undefined;
  timeLimitMs: number;
  resolve(value: Extracted): void;
  reject(error: unknown): void;
};

const idle: Worker[] = [];
const queue: Job[] = [];
let live = 0;

function spawn(): Worker {
  live += 1;
  const worker = new Worker(WORKER_URL, { resourceLimits: { maxOldGenerationSizeMb: PARSE_HEAP_MB } });
  worker.unref();
  // A thread that dies while idle leaves the pool (its error is not left unhandled).
  worker.on('error', () => {});
  worker.on('exit', () => {
    const index = idle.indexOf(worker);
    if (index >= 0) {
      idle.splice(index, 1);
      live -= 1;
    }
  });
  return worker;
}

/** This job's listeners, taken off by reference: removeAllListeners would also drop the Worker's own. */
const detach = new WeakMap<Worker, () => void>();

function release(worker: Worker): void {
  detach.get(worker)?.();
  worker.unref();
  idle.push(worker);
  pump();
}

function discard(worker: Worker): void {
  detach.get(worker)?.();
  live -= 1;
  worker.terminate().catch(() => {});
  pump();
}

function tooSlow(name: string, ms: number): ConnectorError {
  return fileLimitError(
    'file.extract',
    `"${name}" took longer than ${Math.round(ms / 1000)} s to parse and was stopped.`,
    'The file is unusually complex for its size: simplify or split it, or export it in a simpler format (csv for tables, text for documents).',
    ms,
  );
}

function tooBig(name: string): ConnectorError {
  return fileLimitError(
    'file.extract',
    `"${name}" needs more than ${PARSE_HEAP_MB} MiB of memory to parse and was stopped.`,
    'Extract from a smaller or simpler file, or split it before it reaches the workflow.',
    PARSE_HEAP_MB * 1024 * 1024,
  );
}

function run(worker: Worker, job: Job): void {
  worker.ref();
  const name = job.message.options.name;
  let settled = false;
  const done = (outcome: () => void, keep: boolean) => {
    if (settled) return;
    settled = true;
    clearTimeout(timer);
    job.signal?.removeEventListener('abort', onAbort);
    if (keep) release(worker);
    else discard(worker);
    outcome();
  };
  const timer = setTimeout(
    () => done(() => job.reject(tooSlow(name, job.timeLimitMs)), false),
    job.timeLimitMs,
  );
  const onAbort = () => done(() => job.reject(job.signal?.reason ?? new Error('aborted')), false);
  job.signal?.addEventListener('abort', onAbort, { once: true });
  const onMessage = (answer: ParseAnswer) => {
    if (answer.ok) done(() => job.resolve(answer.value), true);
    else if ('error' in answer) {
      const { code, message, retryable, hint, details } = answer.error;
      const error = new ConnectorError({
        code,
        message,
        retryable,
        hint,
        details: details && typeof details === 'object' ? (details as Record<string, unknown>) : {},
      });
      done(() => job.reject(error), true);
    } else {
      done(() => job.reject(new Error(`file.extract: the parse thread failed: ${answer.crash}`)), false);
    }
  };
  const onError = (error: Error & { code?: string }) => {
    const memory = error.code === 'ERR_WORKER_OUT_OF_MEMORY';
    done(() => job.reject(memory ? tooBig(name) : error), false);
  };
  const onExit = (code: number) => {
    done(() => job.reject(new Error(`file.extract: the parse thread exited (code ${code})`)), false);
  };
  worker.on('message', onMessage);
  worker.on('error', onError);
  worker.on('exit', onExit);
  detach.set(worker, () => {
    worker.off('message', onMessage);
    worker.off('error', onError);
    worker.off('exit', onExit);
  });
  // The bytes are moved, not copied: the caller does not use them again.
  worker.postMessage(job.message, [job.message.bytes.buffer]);
}

function pump(): void {
  while (queue.length > 0) {
    let worker = idle.pop();
    if (!worker && live < THREADS) worker = spawn();
    if (!worker) return;
    const job = queue.shift();
    if (!job) {
      idle.push(worker);
      return;
    }
    if (job.signal?.aborted) {
      idle.push(worker);
      job.reject(job.signal.reason);
      continue;
    }
    run(worker, job);
  }
}

/** Parses `bytes` (the whole file, already within its size cap) as `format` in a worker thread. */
export function parseInThread(
  format: WholeFileFormat,
  bytes: Uint8Array,
  options: ExtractOptions,
  timeLimitMs = PARSE_TIME_LIMIT_MS,
): Promise<Extracted> {
  const { signal, ...plain } = options;
  // A buffer of its own, so moving it to the thread cannot detach anything the caller shares.
  const whole = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength;
  const own = whole && bytes.buffer instanceof ArrayBuffer ? new Uint8Array(bytes.buffer) : bytes.slice();
  return new Promise<Extracted>((resolve, reject) => {
    queue.push({ message: { format, bytes: own, options: plain }, signal, timeLimitMs, resolve, reject });
    pump();
  });
}
