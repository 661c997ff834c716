// Per-call overhead of core.code's sandbox: `node bin/run-ts.mjs runtime/engine/sandbox/sandbox-bench.ts`.
// Prints one JSON object: cold start (first call, forks the processes) and warm p50/p99 of a trivial call.
import { closeSandboxes, runSandboxedCode } from '../sandbox.ts';

const calls = Number(process.argv[2]) || 300;
const coldStart = performance.now();
await runSandboxedCode('return input', 1);
const coldMs = performance.now() - coldStart;
const samples: number[] = [];
for (let i = 0; i < calls; i++) {
  const start = performance.now();
  await runSandboxedCode('return input.n * 2', { n: i });
  samples.push(performance.now() - start);
}
const parallelStart = performance.now();
await Promise.all(Array.from({ length: calls }, (_, i) => runSandboxedCode('return input * 2', i)));
const parallelMs = performance.now() - parallelStart;
samples.sort((a, b) => a - b);
const at = (q: number) =>
  Number((samples[Math.min(samples.length - 1, Math.floor(q * samples.length))] ?? 0).toFixed(3));
console.log(
  JSON.stringify({
    sandbox: {
      coldFirstCallMs: Number(coldMs.toFixed(1)),
      warmP50Ms: at(0.5),
      warmP99Ms: at(0.99),
      parallelCallsPerSec: Math.round((calls / parallelMs) * 1000),
      calls,
    },
  }),
);
await closeSandboxes();
