/**
 * Agent evals: scenario files (evals/scenarios/*.yaml: a conversation → checks) run through the real conversation
 * service. `npm run evals -- --model anthropic:<model>` uses the real provider when its key is present, else the
 * scripted model (each scenario's reference answer, so CI checks the whole pipeline: tools, validator, dry run,
 * proposals). Each run writes a table (pass, tool calls, tokens, latency per scenario) to evals/results/.
 */

import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { ensureLocalOwner } from '../access/index.ts';
import type { ModelProvider, Reply } from '../agent/index.ts';
import {
  type ConversationService,
  createAnthropicProvider,
  createConversationService,
  createDocsPort,
  createModelProvider,
  createOpenAIProvider,
  createRuntimePorts,
  DEFAULT_MODEL,
  type RuntimePorts,
} from '../agent/index.ts';
import {
  type ScriptedModelServer,
  type ScriptStep,
  startScriptedModelServer,
} from '../agent/testing/scripted-model-server.ts';
import { builtinConnectors } from '../connectors/index.ts';
import {
  createSqlClient,
  ensureDatabaseExists,
  migrateDatabase,
  type Sql,
  startEmbeddedPostgres,
} from '../db/index.ts';
import { loadSystemPrompt } from '../prompts/index.ts';
import { syncBuiltinDocs } from '../retrieval/index.ts';
import type { WorkflowDocument, WorkflowNode } from '../runtime/index.ts';
import { validateWorkflow } from '../runtime/index.ts';
import { dryRunWorkflow } from '../tools/index.ts';
import { type LiveRunner, ScenarioRun, startLiveRunner } from './live-run.ts';

const Turn = z.union([
  z.object({ question: z.string().min(1) }),
  z.object({ document: z.record(z.string(), z.unknown()), summary: z.string().min(1) }),
]);

export const Scenario = z.object({
  id: z.string().regex(/^[a-z0-9-]+$/),
  title: z.string(),
  messages: z.array(z.string().min(1)).min(1),
  expect: z.object({
    outcome: z.enum(['proposal', 'clarify']),
    trigger: z.string().optional(),
    uses: z.array(z.string()).optional(),
    dryRunOk: z.boolean().optional(),
    missingCredentials: z.array(z.string()).optional(),
    triggerData: z.unknown().optional(),
    /** clarify: the question mentions at least one of these (case-insensitive). */
    questionMentions: z.array(z.string()).optional(),
    /** proposal after several messages: the first answer was a question. */
    askedFirst: z.boolean().optional(),
  }),
  /** Run the approved workflow on the engine against the fake services (or say why not). */
  run: ScenarioRun.optional(),
  /** The reference answer the scripted model gives, one entry per message. */
  reference: z.object({ turns: z.array(Turn).min(1) }),
});
export type Scenario = z.infer<typeof Scenario>;

export type ScenarioResult = {
  id: string;
  pass: boolean;
  failures: string[];
  toolCalls: number;
  inputTokens: number;
  outputTokens: number;
  latencyMs: number;
  /** Ran end to end on the engine against the fakes; callsOk: the fakes got every expected call (and the run ended as expected). */
  ran: boolean;
  callsOk: boolean | null;
  callsVerified: number;
  /** What the live run did, or why the scenario was not run. */
  runNote: string;
};

export type EvalReport = {
  model: string;
  mode: 'real' | 'scripted';
  promptVersion: string;
  startedAt: string;
  results: ScenarioResult[];
};

export const SCENARIO_DIR = resolve(import.meta.dirname, 'scenarios');

export async function loadScenarios(dir: string = SCENARIO_DIR, filter?: string): Promise<Scenario[]> {
  const files = (await readdir(dir)).filter((file) => file.endsWith('.yaml')).sort();
  const scenarios: Scenario[] = [];
  for (const file of files) {
    const parsed = Scenario.safeParse(parseYaml(await readFile(join(dir, file), 'utf8')));
    if (!parsed.success) throw new Error(`${file}: ${parsed.error.message}`);
    if (parsed.data.messages.length !== parsed.data.reference.turns.length) {
      throw new Error(`${file}: reference.turns needs one entry per message`);
    }
    if (!filter || parsed.data.id.includes(filter)) scenarios.push(parsed.data);
  }
  return scenarios;
}

function allNodes(nodes: readonly WorkflowNode[]): WorkflowNode[] {
  return nodes.flatMap((node) => [node, ...(node.do ? allNodes(node.do.nodes) : [])]);
}

/** The scripted model's answers for one scenario: look things up, draft, dry-run, propose — or ask. */
export function scriptFor(scenario: Scenario): ScriptStep[] {
  return scenario.reference.turns.flatMap((turn, index): ScriptStep[] => {
    if ('question' in turn) return [{ text: turn.question }];
    const document = turn.document;
    const uses = (document.nodes as { uses: string }[])
      .map((node) => node.uses)
      .find((u) => !u.startsWith('core.'));
    return [
      {
        text: 'Let me check the docs.',
        toolCalls: [{ name: 'search_docs', input: { query: scenario.messages[index] ?? '', k: 3 } }],
      },
      ...(uses ? [{ toolCalls: [{ name: 'get_action', input: { uses } }] }] : []),
      { toolCalls: [{ name: 'draft_workflow', input: { document } }] },
      {
        toolCalls: [
          {
            name: 'test_workflow',
            input: {
              document,
              ...(scenario.expect.triggerData !== undefined
                ? { triggerData: scenario.expect.triggerData }
                : {}),
            },
          },
        ],
      },
      { toolCalls: [{ name: 'propose_workflow', input: { document, summary: turn.summary } }] },
      { text: `${turn.summary} It is waiting for your approval.` },
    ];
  });
}

const proposalsOf = (replies: Reply[]) =>
  replies.flatMap((reply) =>
    reply.type === 'proposal' || reply.type === 'fix_proposal' ? [reply.proposal] : [],
  );
const textOf = (replies: Reply[]) =>
  replies.flatMap((reply) => (reply.type === 'text' ? [reply.text] : [])).join('\n');

/** Runs one scenario through the service and checks the outcome. */
export async function runScenario(
  scenario: Scenario,
  deps: {
    sql: Sql;
    service: ConversationService;
    ports: RuntimePorts;
    server?: ScriptedModelServer;
    live?: LiveRunner;
  },
): Promise<ScenarioResult> {
  deps.server?.setScript(scriptFor(scenario));
  const threadKey = `evals:${scenario.id}:${randomBytes(4).toString('hex')}`;
  const failures: string[] = [];
  let toolCalls = 0;
  const turns: Reply[][] = [];
  const started = performance.now();
  // The evaluator is the workspace's local owner (alone, so their own approval is enough).
  const principal = await ensureLocalOwner(deps.sql, 'cli');
  for (const message of scenario.messages) {
    turns.push(
      await deps.service.handleMessage({ threadKey, principal, text: message }, (event) => {
        if (event.type === 'tool_start') toolCalls += 1;
      }),
    );
  }
  const latencyMs = Math.round(performance.now() - started);
  const last = turns.at(-1) ?? [];
  for (const reply of turns.flat())
    if (reply.type === 'error') failures.push(`error reply: ${reply.code} ${reply.message}`);
  const expect = scenario.expect;
  const proposals = proposalsOf(last);
  let live = {
    ran: false,
    callsOk: null as boolean | null,
    callsVerified: 0,
    runNote:
      scenario.run && 'skip' in scenario.run
        ? `not run: ${scenario.run.skip}`
        : expect.outcome === 'clarify'
          ? 'not run: the answer is a question, no workflow'
          : 'not run: no run section',
  };
  if (expect.outcome === 'clarify') {
    if (turns.some((replies) => proposalsOf(replies).length > 0)) failures.push('proposed instead of asking');
    const question = textOf(last);
    if (!question.includes('?')) failures.push('no question asked');
    const mentions = expect.questionMentions ?? [];
    if (mentions.length && !mentions.some((word) => question.toLowerCase().includes(word.toLowerCase()))) {
      failures.push(`question mentions none of: ${mentions.join(', ')}`);
    }
  } else {
    if (expect.askedFirst) {
      const first = turns[0] ?? [];
      if (proposalsOf(first).length > 0 || !textOf(first).includes('?')) failures.push('did not ask first');
    }
    const proposal = proposals.find((p) => p.kind === 'new');
    if (!proposal?.document) {
      failures.push('no workflow proposal');
    } else {
      const report = validateWorkflow(proposal.document, { catalog: deps.ports.catalog });
      if (!report.valid || !report.document) {
        failures.push(`invalid document: ${report.errors.map((e) => `${e.code} ${e.path}`).join('; ')}`);
      } else {
        const document: WorkflowDocument = report.document;
        if (expect.trigger && document.trigger.type !== expect.trigger)
          failures.push(`trigger ${document.trigger.type}, expected ${expect.trigger}`);
        const used = new Set(allNodes(document.nodes).map((node) => node.uses));
        for (const uses of expect.uses ?? []) if (!used.has(uses)) failures.push(`missing action ${uses}`);
        if (expect.dryRunOk) {
          const sample = deps.ports.catalog.lookupTrigger(document.trigger.type)?.sample;
          const dryRun = await dryRunWorkflow(document, expect.triggerData ?? sample ?? {}, deps.ports);
          if (!dryRun.ok)
            failures.push(
              `dry run failed: ${dryRun.steps
                .filter((s) => s.status === 'failed')
                .map((s) => `${s.id}: ${s.error}`)
                .join('; ')}`,
            );
        }
        if (expect.missingCredentials) {
          const named = proposal.missingCredentials.map((m) => m.type).sort();
          const wanted = [...new Set(expect.missingCredentials)].sort();
          if (JSON.stringify([...new Set(named)].sort()) !== JSON.stringify(wanted)) {
            failures.push(
              `missing credential types ${named.join(',') || '(none)'}, expected ${wanted.join(',') || '(none)'}`,
            );
          }
        }
        const run = scenario.run;
        if (run && 'expectCalls' in run) {
          if (!deps.live) live.runNote = 'not run: no database URL for an engine worker';
          else {
            const decided = await deps.service.decide({
              proposalId: proposal.id,
              decision: 'approve',
              principal,
            });
            const errors = decided.filter((reply) => reply.type === 'error');
            const workflowId = (
              await deps.service.listProposals({ conversationId: proposal.conversationId ?? '' })
            ).find((p) => p.id === proposal.id)?.workflowId;
            if (!workflowId || errors.length) {
              failures.push(`approval did not create a workflow ${JSON.stringify(errors)}`);
            } else {
              const sample = deps.ports.catalog.lookupTrigger(document.trigger.type)?.sample;
              const input = run.input ?? expect.triggerData ?? sample ?? {};
              const result = await deps.live.run({ workflowId, input, run });
              live = {
                ran: result.ran,
                callsOk: result.callsOk,
                callsVerified: result.calls,
                runNote: result.note,
              };
              failures.push(...result.failures);
            }
          }
        }
      }
    }
  }
  const [usage] = await deps.sql`
    select coalesce(sum((m.usage->>'inputTokens')::int), 0)::int as input, coalesce(sum((m.usage->>'outputTokens')::int), 0)::int as output
    from conversation_messages m join conversations c on c.id = m.conversation_id where c.thread_key = ${threadKey}`;
  return {
    id: scenario.id,
    pass: failures.length === 0,
    failures,
    toolCalls,
    inputTokens: Number(usage?.input ?? 0),
    outputTokens: Number(usage?.output ?? 0),
    latencyMs,
    ...live,
  };
}

function hasKey(spec: string, env: NodeJS.ProcessEnv): boolean {
  if (spec.startsWith('anthropic:')) return Boolean(env.ANTHROPIC_API_KEY);
  if (spec.startsWith('openai:')) return Boolean(env.OPENAI_API_KEY || env.OPENAI_BASE_URL);
  return false;
}

/** Runs the scenarios against a real provider (key present, not forced scripted) or the scripted model. */
export async function runEvals(options: {
  sql: Sql;
  model: string;
  scenarios: Scenario[];
  scripted?: boolean;
  env?: NodeJS.ProcessEnv;
  docs?: boolean;
  /** The eval database's URL: with it, approved scenario workflows run on an engine worker against the fakes. */
  databaseUrl?: string;
  log?: (line: string) => void;
}): Promise<EvalReport> {
  const env = options.env ?? process.env;
  const mode: 'real' | 'scripted' = !options.scripted && hasKey(options.model, env) ? 'real' : 'scripted';
  const server = mode === 'scripted' ? await startScriptedModelServer() : undefined;
  const live = options.databaseUrl
    ? await startLiveRunner({
        sql: options.sql,
        databaseUrl: options.databaseUrl,
        documents: options.scenarios.flatMap((s) =>
          s.reference.turns.map((t) => ('document' in t ? t.document : {})),
        ),
      })
    : undefined;
  try {
    let provider: ModelProvider;
    const model = options.model.slice(options.model.indexOf(':') + 1);
    if (server) {
      provider = options.model.startsWith('openai:')
        ? createOpenAIProvider({ model, apiKey: 'scripted', baseURL: server.openaiBaseUrl })
        : createAnthropicProvider({ model, apiKey: 'scripted', baseURL: server.anthropicBaseUrl });
    } else {
      const created = createModelProvider(options.model, { env });
      if (!created.ok) throw created.error;
      provider = created.value;
    }
    const ports = createRuntimePorts({ sql: options.sql, connectors: builtinConnectors });
    if (options.docs) await syncBuiltinDocs(options.sql, builtinConnectors);
    const system = loadSystemPrompt();
    const service = createConversationService({
      sql: options.sql,
      provider,
      system,
      ...ports,
      docs: options.docs ? createDocsPort(options.sql) : undefined,
    });
    const results: ScenarioResult[] = [];
    const startedAt = new Date().toISOString();
    for (const scenario of options.scenarios) {
      const result = await runScenario(scenario, {
        sql: options.sql,
        service,
        ports,
        ...(server ? { server } : {}),
        ...(live ? { live } : {}),
      });
      results.push(result);
      options.log?.(
        `${result.pass ? 'PASS' : 'FAIL'} ${scenario.id}${result.failures.length ? ` — ${result.failures.join('; ')}` : ''}`,
      );
    }
    return { model: options.model, mode, promptVersion: system.version, startedAt, results };
  } finally {
    await live?.close();
    await server?.close();
  }
}

export function toMarkdown(report: EvalReport): string {
  const passed = report.results.filter((r) => r.pass).length;
  const total = report.results.length;
  const sum = (pick: (r: ScenarioResult) => number) => report.results.reduce((acc, r) => acc + pick(r), 0);
  const lines = [
    `# Evals ${report.startedAt}`,
    '',
    `model: \`${report.model}\` (${report.mode}) · prompt ${report.promptVersion} · pass rate ${passed}/${total} (${total ? Math.round((passed / total) * 100) : 0}%)`,
    `tool calls ${sum((r) => r.toolCalls)} · tokens in ${sum((r) => r.inputTokens)} / out ${sum((r) => r.outputTokens)} · latency ${sum((r) => r.latencyMs)} ms`,
    '',
    `ran end to end ${report.results.filter((r) => r.ran).length}/${total} · calls verified ${sum((r) => r.callsVerified)}`,
    '',
    '| scenario | pass | tool calls | tokens in | tokens out | latency ms | ran | callsOk | run | failures |',
    '| --- | --- | ---: | ---: | ---: | ---: | --- | --- | --- | --- |',
    ...report.results.map(
      (r) =>
        `| ${r.id} | ${r.pass ? 'yes' : 'NO'} | ${r.toolCalls} | ${r.inputTokens} | ${r.outputTokens} | ${r.latencyMs} | ${r.ran ? 'yes' : 'no'} | ${r.callsOk === null ? '-' : r.callsOk ? 'yes' : 'NO'} | ${r.runNote.replaceAll('|', '\\|')} | ${r.failures.join('; ').replaceAll('|', '\\|')} |`,
    ),
    '',
  ];
  return lines.join('\n');
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      model: { type: 'string' },
      filter: { type: 'string' },
      scripted: { type: 'boolean', default: false },
      out: { type: 'string', default: resolve(import.meta.dirname, 'results') },
    },
  });
  const modelSpec = values.model ?? process.env.VMESH_MODEL ?? DEFAULT_MODEL;
  const scenarios = await loadScenarios(SCENARIO_DIR, values.filter);
  // A database of its own, so evals never write into the app's data.
  const name = `vmesh_evals_${randomBytes(4).toString('hex')}`;
  let serverUrl = process.env.DATABASE_URL;
  let stop = async () => {};
  if (!serverUrl) {
    // Inside the checkout (like the test server): the embedded server's OS user must be able to reach it.
    const dataDir = resolve('.test-data', `evals-${randomBytes(4).toString('hex')}`);
    await mkdir(dataDir, { recursive: true });
    const embedded = await startEmbeddedPostgres({ dataDir, durability: 'fast' });
    serverUrl = embedded.url;
    stop = async () => {
      await embedded.stop();
      await rm(dataDir, { recursive: true, force: true });
    };
  }
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  let sql: Sql | undefined;
  try {
    await ensureDatabaseExists(serverUrl, name);
    await migrateDatabase(url.toString());
    sql = createSqlClient(url.toString(), { max: 4 });
    const report = await runEvals({
      sql,
      model: modelSpec,
      scenarios,
      scripted: values.scripted,
      docs: true,
      databaseUrl: url.toString(),
      log: (line) => process.stdout.write(`${line}\n`),
    });
    await mkdir(values.out, { recursive: true });
    const stamp = report.startedAt.replaceAll(':', '-').replace(/\..*$/, '');
    const base = join(values.out, `${stamp}-${modelSpec.replace(/[^a-zA-Z0-9.-]+/g, '_')}-${report.mode}`);
    await writeFile(`${base}.md`, toMarkdown(report));
    await writeFile(`${base}.json`, `${JSON.stringify(report, null, 2)}\n`);
    const passed = report.results.filter((r) => r.pass).length;
    process.stdout.write(
      `\n${passed}/${report.results.length} passed (${report.mode} ${modelSpec}); table: ${base}.md\n`,
    );
    process.exitCode = passed === report.results.length ? 0 : 1;
  } finally {
    await sql?.end({ timeout: 5 });
    if (process.env.DATABASE_URL) {
      const { default: postgres } = await import('postgres');
      const admin = postgres(serverUrl, { max: 1, onnotice: () => {} });
      await admin.unsafe(`drop database if exists ${name} with (force)`).catch(() => {});
      await admin.end();
    }
    await stop();
  }
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  await main();
}
