import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureLocalOwner, linkIdentity } from '../../access/index.ts';
import {
  createConversationService,
  createOpenAIProvider,
  createRuntimePorts,
  toBotConversationPort,
} from '../../agent/index.ts';
import {
  type ScriptedModelServer,
  startScriptedModelServer,
} from '../../agent/testing/scripted-model-server.ts';
import { CookieJar } from '../../app/web-auth/testing/browser-jar.ts';
import { signInWithLink } from '../../app/web-auth/testing/link-sign-in.ts';
import { type DiscordFake, startDiscordFake } from '../../connectors/discord/fake-server.ts';
import { builtinConnectors } from '../../connectors/index.ts';
import { type SlackFake, startSlackFake } from '../../connectors/slack/fake-server.ts';
import { createTestDatabase, type TestDatabase } from '../../db/testing/test-database.ts';
import { loadSystemPrompt } from '../../prompts/load-prompts.ts';
import type { ConversationPort } from '../conversation-port.ts';
import { registerDiscord } from '../discord/register-discord.ts';
import { generateDiscordKeys, signDiscordRequest } from '../discord/sign-discord-request.ts';
import { registerMcpHttp } from '../mcp/register-mcp-http.ts';
import { createRuntimeWorkflowPort } from '../runtime-workflow-port.ts';
import { registerSlack } from '../slack/register-slack.ts';
import { signSlackRequest } from '../slack/sign-slack-request.ts';
import { parseSlackActionValue } from '../slack/slack-action-value.ts';
import { type ApprovalLinkPort, registerApprovalLinks } from '../web/register-approval-links.ts';
import { registerWebChat } from '../web/register-web-chat.ts';
import type { WorkflowPort } from '../workflow-port.ts';
import { type BotDriver, runBotContract } from './contract.ts';
import { createTestHttpServer } from './http-server.ts';

let db: TestDatabase;
let model: ScriptedModelServer;
let conversation: ConversationPort;
let workflows: WorkflowPort;
let approvals: ApprovalLinkPort;
const closers: Array<() => Promise<unknown>> = [];

beforeAll(async () => {
  db = await createTestDatabase();
  model = await startScriptedModelServer();
  const service = createConversationService({
    sql: db.sql,
    provider: createOpenAIProvider({ model: 'gpt-test', apiKey: 'k', baseURL: model.openaiBaseUrl }),
    system: loadSystemPrompt(),
    ...createRuntimePorts({ sql: db.sql, connectors: builtinConnectors }),
  });
  approvals = service;
  conversation = toBotConversationPort(service);
  workflows = createRuntimeWorkflowPort(db.sql);
  // Every front-end's person is the workspace's owner, alone (so their own approval is enough): Slack T1:U1 and
  // Discord G1:U1 are linked to them, the web chat and MCP authenticate with the shared token.
  const owner = await ensureLocalOwner(db.sql, 'cli');
  await linkIdentity(db.sql, owner.userId, 'slack', 'T1:U1');
  await linkIdentity(db.sql, owner.userId, 'discord', 'G1:U1');
});
afterAll(async () => {
  for (const close of closers.reverse()) await close();
  await model?.close();
  await db?.drop();
});

const context = (driver: () => BotDriver) => () => ({ model, workflows, driver });

describe('contract: web chat', () => {
  const TOKEN = 'contract-web-token-0123456789';
  let app: FastifyInstance;
  let shown = '';
  let proposal: { proposalId: string; approve: boolean; reject: boolean } | undefined;
  beforeAll(async () => {
    app = createTestHttpServer(db.sql, db.url, TOKEN);
    await registerWebChat(app, { conversation, workflows });
    closers.push(() => app.close());
  });
  const auth = { authorization: `Bearer ${TOKEN}` };
  const post = (text: string, headers: Record<string, string>) =>
    app.inject({
      method: 'POST',
      url: '/chat/api/messages',
      headers,
      payload: { threadKey: 'contract-web-1', text },
    });
  runBotContract(
    'web',
    context(() => ({
      async send(text) {
        const response = await post(text, auth);
        for (const block of response.body.split('\n\n')) {
          const data = block.split('\n').find((line) => line.startsWith('data: '));
          if (!block.startsWith('event: reply') || !data) continue;
          const reply = JSON.parse(data.slice(6)) as {
            type: string;
            text?: string;
            title?: string;
            proposal?: { id: string };
          };
          shown += `${reply.text ?? ''}${reply.title ?? ''}\n`;
          // The page renders Approve and Reject for every proposal reply (see the browser test).
          if (reply.type === 'proposal' && reply.proposal)
            proposal = { proposalId: reply.proposal.id, approve: true, reject: true };
        }
      },
      shownText: () => shown,
      lastProposal: () => proposal,
      async approve(proposalId) {
        await app.inject({
          method: 'POST',
          url: '/chat/api/decisions',
          headers: auth,
          payload: { proposalId, decision: 'approve' },
        });
      },
      async sendForged() {
        return (await post('forged', { authorization: 'Bearer wrong-token-0123456789' })).statusCode;
      },
    })),
  );

  it('web: lists proposals still waiting for a decision (shown when the page opens), and not once decided', async () => {
    model.setScript([
      {
        toolCalls: [
          {
            name: 'propose_workflow',
            input: {
              document: {
                schemaVersion: 1,
                name: 'Pending on the web',
                trigger: { type: 'manual' },
                nodes: [{ id: 'shape', uses: 'core.transform', with: { value: 'later' } }],
                edges: [],
              },
              summary: 'Waits for you.',
            },
          },
        ],
      },
      { text: 'Proposed.' },
    ]);
    await post('propose something for later', auth);
    const listed = await app.inject({ method: 'GET', url: '/chat/api/proposals', headers: auth });
    expect(listed.statusCode).toBe(200);
    const pending = (
      listed.json() as { replies: Array<{ type: string; title?: string; proposal?: { id: string } }> }
    ).replies;
    const mine = pending.find((reply) => reply.title === 'Pending on the web');
    expect(mine).toMatchObject({ type: 'proposal' });
    expect((await app.inject({ method: 'GET', url: '/chat/api/proposals' })).statusCode).toBe(401);
    await app.inject({
      method: 'POST',
      url: '/chat/api/decisions',
      headers: auth,
      payload: { proposalId: mine?.proposal?.id, decision: 'reject' },
    });
    const after = (await app.inject({ method: 'GET', url: '/chat/api/proposals', headers: auth })).json() as {
      replies: Array<{ title?: string }>;
    };
    expect(after.replies.some((reply) => reply.title === 'Pending on the web')).toBe(false);
  });
});

describe('contract: Slack', () => {
  const SECRET = 'contract-slack-secret';
  let url: string;
  let slack: SlackFake;
  let idle: () => Promise<void>;
  let counter = 0;
  let last = '';
  beforeAll(async () => {
    slack = await startSlackFake({ teamId: 'T1', channels: [{ id: 'C1', name: 'general', isMember: true }] });
    // The mention every turn answers in the thread of, and the bot message the approve click is on.
    slack.addMessage('C1', { ts: '1700000100.000001', user: 'U1', text: '<@UBOT> hello' });
    slack.addMessage('C1', { ts: '1700000000.000009', user: slack.botUserId, text: 'p' });
    const app = Fastify();
    const bot = await registerSlack(app, {
      conversation,
      botToken: slack.token,
      signingSecret: SECRET,
      slackApiUrl: slack.apiUrl,
    });
    idle = () => bot.idle();
    url = await app.listen({ host: '127.0.0.1', port: 0 });
    closers.push(
      () => slack.close(),
      () => app.close(),
    );
  });
  const deliver = async (body: string, headers: Record<string, string>, type = 'application/json') => {
    const response = await fetch(`${url}/slack/events`, {
      method: 'POST',
      headers: { 'content-type': type, ...headers },
      body,
    });
    await idle();
    return response.status;
  };
  /** Web API calls other than auth.test, in order. */
  const sent = () => slack.calls.filter((call) => call.method !== 'auth.test');
  const blocksOf = (call: { args: Record<string, unknown> }) =>
    (call.args.blocks ?? []) as Array<{
      type: string;
      text?: { text?: string };
      elements?: Array<{ action_id: string; value: string }>;
    }>;
  runBotContract(
    'slack',
    context(() => ({
      async send(text) {
        counter += 1;
        last = JSON.stringify({
          type: 'event_callback',
          team_id: 'T1',
          event_id: `EvC${counter}`,
          event: {
            type: 'app_mention',
            user: 'U1',
            text: `<@UBOT> ${text}`,
            ts: '1700000100.000001',
            channel: 'C1',
          },
        });
        await deliver(last, signSlackRequest(SECRET, last));
      },
      shownText: () =>
        sent()
          .map(
            (call) =>
              `${String(call.args.text ?? '')}\n${blocksOf(call)
                .map((block) => block.text?.text ?? '')
                .join('\n')}`,
          )
          .join('\n'),
      lastProposal() {
        const call = sent().findLast((message) =>
          blocksOf(message).some((block) => block.type === 'actions'),
        );
        const buttons = call
          ? (blocksOf(call).find((block) => block.type === 'actions')?.elements ?? [])
          : [];
        const values = buttons.map((button) => parseSlackActionValue(button.value));
        const proposalId = values[0]?.proposalId;
        return proposalId
          ? {
              proposalId,
              approve: values.some((v) => v?.decision === 'approve'),
              reject: values.some((v) => v?.decision === 'reject'),
            }
          : undefined;
      },
      async approve(proposalId) {
        const payload = {
          type: 'block_actions',
          team: { id: 'T1' },
          user: { id: 'U1' },
          trigger_id: `trig-${proposalId}`,
          channel: { id: 'C1' },
          container: { type: 'message', message_ts: '1700000000.000009', channel_id: 'C1' },
          message: { type: 'message', ts: '1700000000.000009', text: 'p', blocks: [] },
          actions: [
            {
              type: 'button',
              action_id: 'vmesh_approve',
              block_id: 'b',
              action_ts: '1',
              value: JSON.stringify({ v: 1, proposalId, decision: 'approve' }),
            },
          ],
        };
        const body = `payload=${encodeURIComponent(JSON.stringify(payload))}`;
        await deliver(body, signSlackRequest(SECRET, body), 'application/x-www-form-urlencoded');
      },
      async redeliverLast() {
        await deliver(last, {
          ...signSlackRequest(SECRET, last),
          'x-slack-retry-num': '1',
          'x-slack-retry-reason': 'http_timeout',
        });
        await deliver(last, signSlackRequest(SECRET, last));
      },
      sendForged: () => deliver(last, signSlackRequest('not-the-secret', last)),
    })),
  );
});

describe('contract: Discord', () => {
  const keys = generateDiscordKeys();
  let url: string;
  let discord: DiscordFake;
  let idle: () => Promise<void>;
  let counter = 0;
  let last = '';
  beforeAll(async () => {
    discord = await startDiscordFake({ applicationId: 'APP1' });
    const app = Fastify();
    const bot = await registerDiscord(app, {
      conversation,
      applicationId: 'APP1',
      publicKey: keys.publicKeyHex,
      apiUrl: discord.apiUrl,
    });
    idle = () => bot.idle();
    url = await app.listen({ host: '127.0.0.1', port: 0 });
    closers.push(
      () => discord.close(),
      () => app.close(),
    );
  });
  const deliver = async (body: string, headers: Record<string, string>) => {
    const response = await fetch(`${url}/discord/interactions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body,
    });
    await idle();
    return response.status;
  };
  type Sent = { content?: string; components?: Array<{ components: Array<{ custom_id: string }> }> };
  const sent = () => discord.requests.map((request) => request.body as Sent);
  runBotContract(
    'discord',
    context(() => ({
      async send(text) {
        counter += 1;
        last = JSON.stringify({
          id: `ic${counter}`,
          type: 2,
          token: `tok${counter}`,
          guild_id: 'G1',
          channel_id: 'C1',
          member: { user: { id: 'U1' } },
          data: { name: 'vmesh', options: [{ name: 'message', value: text }] },
        });
        await deliver(last, signDiscordRequest(keys.privateKey, last));
      },
      shownText: () =>
        sent()
          .map((body) => body.content ?? '')
          .join('\n'),
      lastProposal() {
        const ids =
          sent()
            .findLast((body) => body.components?.length)
            ?.components?.[0]?.components.map((b) => b.custom_id) ?? [];
        const proposalId = ids[0]?.split(':')[2];
        return proposalId
          ? {
              proposalId,
              approve: ids.some((id) => id.startsWith('vmesh:approve:')),
              reject: ids.some((id) => id.startsWith('vmesh:reject:')),
            }
          : undefined;
      },
      async approve(proposalId) {
        const body = JSON.stringify({
          id: `ib-${proposalId}`,
          type: 3,
          token: 'tokb',
          guild_id: 'G1',
          channel_id: 'C1',
          member: { user: { id: 'U1' } },
          data: { custom_id: `vmesh:approve:${proposalId}` },
        });
        await deliver(body, signDiscordRequest(keys.privateKey, body));
      },
      async redeliverLast() {
        await deliver(last, signDiscordRequest(keys.privateKey, last));
      },
      sendForged: () => deliver(last, signDiscordRequest(generateDiscordKeys().privateKey, last)),
    })),
  );
});

describe('contract: MCP', () => {
  const TOKEN = 'contract-mcp-token-0123456789';
  let base = '';
  let client: Client;
  let shown = '';
  beforeAll(async () => {
    const app = createTestHttpServer(db.sql, db.url, TOKEN, { webSessions: true });
    await registerApprovalLinks(app, approvals);
    await registerMcpHttp(app, {
      conversation,
      workflows,
      allowedHosts: () => [new URL(base).host],
      allowedOrigins: [],
    });
    base = await app.listen({ host: '127.0.0.1', port: 0 });
    client = new Client({ name: 'contract', version: '1' });
    await client.connect(
      new StreamableHTTPClientTransport(new URL(`${base}/mcp`), {
        requestInit: { headers: { authorization: `Bearer ${TOKEN}` } },
      }),
    );
    closers.push(
      () => app.close(),
      () => client.close(),
    );
  });
  const call = async (name: string, args: Record<string, unknown>) => {
    const result = await client.callTool({ name, arguments: args });
    shown += `${(result.content as Array<{ text?: string }>).map((item) => item.text ?? '').join('\n')}\n`;
  };
  runBotContract(
    'mcp',
    context(() => ({
      send: (text) => call('chat', { message: text }),
      shownText: () => shown,
      lastProposal() {
        const matches = [...shown.matchAll(/Proposal (\S+) \(/g)];
        const proposalId = matches.at(-1)?.[1];
        // approve_proposal takes decision approve | reject: both controls exist for every proposal.
        return proposalId ? { proposalId, approve: true, reject: true } : undefined;
      },
      // The assistant cannot approve: it gets a one-time link, which the person opens and confirms.
      async approve(proposalId) {
        const before = shown.length;
        await call('approve_proposal', { proposalId, decision: 'approve' });
        const path = /\/approve\/[A-Za-z0-9_-]+/.exec(shown.slice(before))?.[0];
        expect(path).toBeDefined();
        expect(await workflows.listWorkflows()).not.toContainEqual(
          expect.objectContaining({ name: 'Contract mcp' }),
        );
        // The person signs in in a browser (a one-time sign-in link) and confirms there.
        const browser = new CookieJar();
        const owner = await ensureLocalOwner(db.sql, 'web');
        expect((await signInWithLink(db.sql, browser, base, owner.userId)).status).toBe(303);
        const page = await (await browser.fetch(`${base}${path}`)).text();
        const form = /name="form" value="([^"]+)"/.exec(page)?.[1] ?? '';
        const confirmed = await browser.fetch(`${base}${path}`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({ form, decision: 'approve' }).toString(),
        });
        expect(confirmed.status).toBe(200);
      },
      async sendForged() {
        const response = await fetch(`${base}/mcp`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
          body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
        });
        return response.status;
      },
    })),
  );
});

describe('MCP exposes approved workflows', () => {
  const TOKEN = 'contract-tools-token-0123456789';
  /** A fresh MCP server with a connected SDK client (the owner's token): a new session sees the current workflows. */
  async function connectMcpClient(name: string) {
    const app = createTestHttpServer(db.sql, db.url, TOKEN);
    let base = '';
    await registerMcpHttp(app, {
      conversation,
      workflows,
      allowedHosts: () => [new URL(base).host],
      allowedOrigins: [],
    });
    base = await app.listen({ host: '127.0.0.1', port: 0 });
    const client = new Client({ name, version: '1' });
    await client.connect(
      new StreamableHTTPClientTransport(new URL(`${base}/mcp`), {
        requestInit: { headers: { authorization: `Bearer ${TOKEN}` } },
      }),
    );
    return { app, client };
  }

  it('lists each active workflow as a tool and its document as a resource (new session)', async () => {
    const { app, client } = await connectMcpClient('workflows');
    const { tools } = await client.listTools();
    const names = tools.map((tool) => tool.name);
    expect(names).toEqual(
      expect.arrayContaining([
        'run_contract_web',
        'run_contract_slack',
        'run_contract_discord',
        'run_contract_mcp',
      ]),
    );
    const tool = tools.find((candidate) => candidate.name === 'run_contract_web');
    expect(tool?.description).toContain('Contract web');
    expect(tool?.inputSchema.properties).toHaveProperty('input');
    const { resources } = await client.listResources();
    const resource = resources.find((candidate) => candidate.name === 'Contract web');
    expect(resource?.uri).toMatch(/^vmesh:\/\/workflows\//);
    const read = await client.readResource({ uri: resource?.uri ?? '' });
    expect(JSON.parse(String((read.contents[0] as { text: string }).text))).toMatchObject({
      name: 'Contract web',
      schemaVersion: 1,
    });
    await client.close();
    await app.close();
  });

  it('exposes the agent tools themselves, with the same input shapes and validator errors', async () => {
    const { app, client } = await connectMcpClient('agent-tools');
    const { tools } = await client.listTools();
    const names = tools.map((tool) => tool.name);
    expect(names).toEqual(
      expect.arrayContaining([
        'search_docs',
        'draft_workflow',
        'propose_workflow',
        'propose_change',
        'get_run',
      ]),
    );
    const draft = await client.callTool({
      name: 'draft_workflow',
      arguments: {
        document: {
          schemaVersion: 1,
          name: 'Broken',
          trigger: { type: 'manual' },
          nodes: [{ id: 'a', uses: 'core.transform', with: { value: 1 } }],
          edges: [{ from: 'a', to: 'ghost' }],
        },
      },
    });
    const text = (draft.content as Array<{ text?: string }>).map((item) => item.text ?? '').join('\n');
    expect(text).toContain('E_UNKNOWN_NODE');
    const bad = await client.callTool({ name: 'search_docs', arguments: { k: 3 } });
    expect(bad.isError).toBe(true);
    await client.close();
    await app.close();
  });
});
