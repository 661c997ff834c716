// npm run bench:expressions
// Evaluations per second of evaluateTemplate (the path every step's parameters take) for a typical node's
// parameters, sequentially and with 8 in flight, printed as JSON. Nothing is estimated: every figure is measured.
import { evaluateTemplate } from '../workflow/expressions.ts';

const scope = {
  trigger: {
    body: { issue: { title: 'Crash on start', labels: [{ name: 'bug' }, { name: 'p1' }], number: 42 } },
  },
  steps: {
    fetch: {
      output: {
        status: 200,
        items: Array.from({ length: 20 }, (_, index) => ({ id: index, ok: index % 2 === 0 })),
      },
    },
  },
  vars: { channel: '#alerts' },
};
/** A typical node's `with`: one whole-value expression, one interpolated string, one filter. */
const typical = {
  channel: '{{ vars.channel }}',
  text: 'Bug #{{ trigger.body.issue.number }}: {{ trigger.body.issue.title }}',
  okIds: '{{ steps.fetch.output.items[ok].id }}',
};
const simple = '{{ trigger.body.issue.number + 1 }}';

async function measure(label: string, value: unknown, concurrency: number, seconds: number) {
  for (let i = 0; i < 200; i++) await evaluateTemplate(value, scope);
  let done = 0;
  const latencies: number[] = [];
  const until = performance.now() + seconds * 1000;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < until) {
        const started = performance.now();
        await evaluateTemplate(value, scope);
        latencies.push(performance.now() - started);
        done += 1;
      }
    }),
  );
  latencies.sort((a, b) => a - b);
  const at = (p: number) =>
    Math.round((latencies[Math.floor((p / 100) * (latencies.length - 1))] ?? 0) * 1000) / 1000;
  return {
    label,
    concurrency,
    evaluationsPerSecond: Math.round(done / seconds),
    p50Ms: at(50),
    p99Ms: at(99),
  };
}

const seconds = Number(process.env.BENCH_SECONDS ?? 3);
const results = [
  await measure('simple expression', simple, 1, seconds),
  await measure('typical node parameters (3 templates)', typical, 1, seconds),
  await measure('typical node parameters (3 templates)', typical, 8, seconds),
];
process.stdout.write(
  `${JSON.stringify({ bench: 'expressions', node: process.version, results }, null, 2)}\n`,
);
process.exit(0);
