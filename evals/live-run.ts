/**
 * The evals' end-to-end check: an approved scenario workflow runs on a real engine worker (the eval database),
 * its connectors pointed at the local fake services (Slack, GitHub, Discord, SMTP, and an HTTP echo that stands in
 * for every outside host), and the fakes must have received the scenario's expected calls.
 */
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { ensureLocalOwner } from '../access/index.ts';
import { startDiscordFake } from '../connectors/discord/fake-server.ts';
import { startSmtpFake } from '../connectors/email/fake-server.ts';
import { startGithubFake } from '../connectors/github/fake-server.ts';
import { startHttpFake } from '../connectors/http/fake-server.ts';
import {
  builtinConnectors,
  createCredentialStore,
  createSafeFetchFromEnv,
  createSocketOpenerFromEnv,
  parseSecretKey,
} from '../connectors/index.ts';
import { startLlmFake } from '../connectors/llm/fake-server.ts';
import { startSlackFake } from '../connectors/slack/fake-server.ts';
import type { Sql } from '../db/index.ts';
import { createLogger } from '../lib/index.ts';
import {
  decideApproval,
  type EngineWorker,
  startEngineWorker,
  startRun,
  waitForRun,
} from '../runtime/index.ts';

export const ExpectedCall = z.object({
  service: z.enum(['slack', 'github', 'discord', 'http', 'email', 'llm', 'postgres']),
  /**
   * slack: the Web API method (`chat.postMessage`); github/discord: `METHOD /path` (`POST /repos/o/r/issues`);
   * http: `METHOD url` as the workflow called it (`GET https://status.example.com/health`); email: `send`;
   * llm: `POST /v1/chat/completions` (OpenAI wire format); postgres: a select run on the eval database after the run
   * (the scenario tables `signups` and `invoices` live there), matched against its rows.
   */
  method: z.string().min(1),
  /** Fields of the request body (email: `to`, `subject`, `text`) — a string matches when the value contains it. */
  match: z.record(z.string(), z.unknown()).optional(),
});
export type ExpectedCall = z.infer<typeof ExpectedCall>;

export const ScenarioRun = z.union([
  z.object({
    /** Trigger data the run starts with (default: expect.triggerData, else the trigger's sample). */
    input: z.unknown().optional(),
    expectCalls: z.array(ExpectedCall),
    status: z.enum(['succeeded', 'failed', 'waiting']).default('succeeded'),
    /** What the LLM fake answers, in order (without them it echoes the prompt). */
    llmReplies: z.array(z.string()).optional(),
    /** Failures the HTTP echo answers with first, e.g. `{ method: POST, status: 400 }` for an error route. */
    httpFail: z
      .array(
        z.object({
          method: z.string(),
          status: z.number().int().min(400).max(599),
          times: z.number().int().optional(),
        }),
      )
      .optional(),
    /**
     * Post a message to this Slack channel (`#help`) before the run and put its `channel` id and `ts` into the
     * trigger data, as a real slack.messagePosted event would carry them.
     */
    seedSlackMessage: z
      .string()
      .regex(/^#[a-z0-9_-]+$/)
      .optional(),
    /** Approve each core.approval request of the run as `evals:user` (the run waits for it otherwise). */
    approve: z.boolean().optional(),
  }),
  /** Why the scenario is not run end to end (shown in the results table). */
  z.object({ skip: z.string().min(1) }),
]);
export type ScenarioRun = z.infer<typeof ScenarioRun>;

export type LiveResult = { ran: boolean; callsOk: boolean; calls: number; note: string; failures: string[] };

type Recorded = { service: ExpectedCall['service']; method: string; body: Record<string, unknown> };

const ORIGINAL_URL = 'x-eval-original-url';
const SECRET_KEY = randomBytes(32).toString('base64');

function asRecord(value: unknown): Record<string, unknown> {
  if (typeof value === 'string') {
    try {
      return asRecord(JSON.parse(value));
    } catch {
      return { body: value };
    }
  }
  return value && typeof value === 'object' ? (value as Record<string, unknown>) : {};
}

function matches(call: Recorded, expected: ExpectedCall): boolean {
  if (call.service !== expected.service || call.method !== expected.method) return false;
  return Object.entries(expected.match ?? {}).every(([key, want]) => {
    const got = call.body[key];
    if (typeof want === 'string') {
      const text = typeof got === 'string' ? got : JSON.stringify(got ?? '');
      return text.includes(want);
    }
    return JSON.stringify(got) === JSON.stringify(want);
  });
}

/** Every `#channel` a Slack node of the documents names, so the Slack fake knows them (bot is a member). */
function slackChannels(documents: unknown[]): string[] {
  const names = new Set(['general']);
  const walk = (value: unknown, key?: string): void => {
    if (Array.isArray(value)) for (const item of value) walk(item);
    else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) walk(v, k);
    else if (key === 'channel' && typeof value === 'string' && /^#[a-z0-9_-]+$/.test(value))
      names.add(value.slice(1));
  };
  walk(documents);
  return [...names];
}

/** Waits (up to 10 s) for the run's approval request and approves it. */
async function approvePending(sql: Sql, runId: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    const [pending] =
      await sql`select id from approvals where run_id = ${runId} and status = 'pending' limit 1`;
    if (pending) {
      // The evals act as the workspace's local owner, as the shell does.
      await decideApproval(
        sql,
        String(pending.id),
        { decision: 'approve' },
        await ensureLocalOwner(sql, 'system'),
      );
      return;
    }
    // Polling: the approval row appears when the worker reaches the node.
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export type LiveRunner = {
  run(options: {
    workflowId: string;
    input: unknown;
    run: Extract<ScenarioRun, { expectCalls: unknown }>;
  }): Promise<LiveResult>;
  close(): Promise<void>;
};

/** Starts the fakes and one engine worker on the eval database. `documents` name the Slack channels to create. */
export async function startLiveRunner(options: {
  sql: Sql;
  databaseUrl: string;
  documents: unknown[];
}): Promise<LiveRunner> {
  const smtpAuth = { user: 'evals', pass: 'evals-smtp-pass' };
  const llmKey = 'sk-evals-fake-0001';
  const [slack, github, discord, http, smtp, llm] = await Promise.all([
    startSlackFake({
      channels: slackChannels(options.documents).map((name, index) => ({
        id: `C${String(index + 1).padStart(10, '0')}`,
        name,
        isMember: true,
      })),
    }),
    startGithubFake({ labels: ['bug', 'triage', 'enhancement', 'needs-triage'] }),
    startDiscordFake(),
    startHttpFake(),
    startSmtpFake(smtpAuth),
    startLlmFake({ apiKey: llmKey }),
  ]);
  // The tables the Postgres scenarios query, in the eval database itself.
  await options.sql`create table if not exists signups (email text, created_at timestamptz not null default now())`;
  await options.sql`create table if not exists invoices (vendor text, amount numeric, due_date date)`;
  await options.sql`insert into signups (email) values ('ada@example.com'), ('grace@example.com')`;
  // Issue #1, open and labelled needs-triage: what the list/comment scenarios find.
  const seeded = await fetch(`${github.url}/repos/octo-org/hello-world/issues`, {
    method: 'POST',
    headers: { authorization: `token ${github.token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ title: 'Checkout fails with a 500', body: 'Steps…', labels: ['needs-triage'] }),
  });
  if (!seeded.ok) throw new Error(`seeding the GitHub fake failed: HTTP ${seeded.status}`);
  github.requests.length = 0;
  const key = parseSecretKey(SECRET_KEY);
  const credentials = createCredentialStore({
    sql: options.sql,
    key,
    types: builtinConnectors.flatMap((c) => (c.credential ? [c.credential] : [])),
  });
  const secrets: [string, string, unknown][] = [
    ['slack', 'slack', { token: slack.token }],
    ['llm', 'llm', { provider: 'openai', apiKey: llmKey, baseUrl: `${llm.url}/v1`, model: 'fake-model' }],
    ['postgres', 'postgres', { url: options.databaseUrl }],
    ['github', 'github', { token: github.token }],
    ['discord', 'discord', { botToken: discord.botToken }],
    [
      'smtp',
      'smtp',
      { host: '127.0.0.1', port: smtp.port, secure: false, ...smtpAuth, from: 'bot@example.com' },
    ],
  ];
  const safeFetch = createSafeFetchFromEnv({ VMESH_HTTP_ALLOW_HOSTS: '127.0.0.1' });
  // Every outside host goes to the HTTP fake's /echo (like a hosts file), the URL the workflow asked for in a header.
  const echoFetch: typeof fetch = (input, init) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    if (url.hostname === '127.0.0.1') return safeFetch(input, init);
    const headers = new Headers(init?.headers ?? (input instanceof Request ? input.headers : undefined));
    headers.set(ORIGINAL_URL, url.toString());
    return safeFetch(`${http.url}/echo${url.search}`, { ...init, headers });
  };
  const logger = createLogger({ level: 'silent' });
  const worker: EngineWorker = await startEngineWorker({
    deps: {
      sql: options.sql,
      connectors: builtinConnectors,
      credentials,
      connectorEnv: {
        baseUrls: { slack: slack.apiUrl, github: github.url, discord: discord.url, email: smtp.url },
        fetch: echoFetch,
        openSocket: createSocketOpenerFromEnv({ VMESH_HTTP_ALLOW_HOSTS: '127.0.0.1' }),
        logger,
      },
      logger,
    },
    connectionString: options.databaseUrl,
    concurrency: 2,
  });

  const counts = () => [
    slack.requests.length,
    github.requests.length,
    discord.requests.length,
    http.requests.length,
    smtp.received.length,
    llm.requests.length,
  ];
  const recorded = (since: number[]): Recorded[] => [
    ...llm.requests.slice(since[5]).map((r) => ({
      service: 'llm' as const,
      method: `${r.method} ${r.path}`,
      body: asRecord(r.body),
    })),
    ...slack.requests.slice(since[0]).map((r) => ({
      service: 'slack' as const,
      method: r.path.replace(/^\/api\//, ''),
      body: asRecord(r.body),
    })),
    ...github.requests
      .slice(since[1])
      .map((r) => ({ service: 'github' as const, method: `${r.method} ${r.path}`, body: asRecord(r.body) })),
    ...discord.requests.slice(since[2]).map((r) => ({
      service: 'discord' as const,
      method: `${r.method} ${r.path.replace(/^\/api\/v\d+/, '')}`,
      body: asRecord(r.body),
    })),
    ...http.requests.slice(since[3]).map((r) => ({
      service: 'http' as const,
      method: `${r.method} ${String(r.headers[ORIGINAL_URL] ?? r.path)}`,
      body: asRecord(r.body),
    })),
    ...smtp.received.slice(since[4]).map((mail) => ({
      service: 'email' as const,
      method: 'send',
      body: {
        to: mail.envelope.to.join(','),
        subject: mail.parsed.subject ?? '',
        text: mail.parsed.text ?? '',
      },
    })),
  ];

  return {
    async run({ workflowId, input: given, run }) {
      let input = given;
      if (run.seedSlackMessage) {
        const response = await fetch(`${slack.apiUrl}chat.postMessage`, {
          method: 'POST',
          headers: { authorization: `Bearer ${slack.token}`, 'content-type': 'application/json' },
          body: JSON.stringify({ channel: run.seedSlackMessage, text: 'The checkout page is down again' }),
        });
        const seeded = z
          .object({ ok: z.literal(true), channel: z.string(), ts: z.string() })
          .parse(await response.json());
        input = { ...asRecord(given), channel: seeded.channel, ts: seeded.ts };
      }
      const before = counts();
      if (run.llmReplies) llm.reply(...run.llmReplies);
      for (const failure of run.httpFail ?? [])
        http.fail(`${failure.method} /echo`, {
          status: failure.status,
          body: { error: 'injected by the eval' },
          ...(failure.times ? { times: failure.times } : {}),
        });
      for (const [name, type, secret] of secrets) await credentials.set(name, type, secret);
      const failures: string[] = [];
      try {
        const { runId } = await startRun(options.sql, workflowId, input);
        if (run.approve) await approvePending(options.sql, runId);
        const view = await waitForRun(options.sql, runId, { timeoutMs: 20_000 }).catch(
          (error: unknown) => ({ status: 'timeout', error: String(error) }) as const,
        );
        if (view.status !== run.status)
          failures.push(
            `run ${view.status}, expected ${run.status}${'error' in view && view.error ? `: ${JSON.stringify(view.error)}` : ''}`,
          );
        const fresh = recorded(before);
        for (const expected of run.expectCalls.filter((e) => e.service === 'postgres')) {
          const rows = await options.sql.unsafe(expected.method);
          fresh.push(
            ...rows.map((row) => ({
              service: 'postgres' as const,
              method: expected.method,
              body: { ...row },
            })),
          );
        }
        let verified = 0;
        for (const expected of run.expectCalls) {
          if (fresh.some((call) => matches(call, expected))) verified += 1;
          else
            failures.push(
              `no ${expected.service} ${expected.method} ${JSON.stringify(expected.match ?? {})} (got: ${fresh.map((c) => `${c.service} ${c.method}`).join(', ') || 'nothing'})`,
            );
        }
        return {
          ran: true,
          callsOk: failures.length === 0,
          calls: verified,
          note: `run ${view.status}, ${verified}/${run.expectCalls.length} calls`,
          failures,
        };
      } finally {
        // The next scenario's proposal must still see its credentials as missing.
        for (const [name] of secrets) await credentials.delete(name);
      }
    },
    async close() {
      await worker.stop();
      await Promise.all([
        slack.close(),
        github.close(),
        discord.close(),
        http.close(),
        smtp.close(),
        llm.close(),
      ]);
    },
  };
}
