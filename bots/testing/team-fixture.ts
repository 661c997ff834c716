import Fastify, { type FastifyInstance } from 'fastify';
import { createUser, linkIdentity, type Principal, type Role, resolveIdentity } from '../../access/index.ts';
import {
  type ConversationService,
  createConversationService,
  createOpenAIProvider,
  createRuntimePorts,
  toBotConversationPort,
} from '../../agent/index.ts';
import {
  type ScriptedModelServer,
  startScriptedModelServer,
} from '../../agent/testing/scripted-model-server.ts';
import { builtinConnectors } from '../../connectors/index.ts';
import { type SlackFake, startSlackFake } from '../../connectors/slack/fake-server.ts';
import { createTestDatabase, type TestDatabase } from '../../db/testing/test-database.ts';
import { loadSystemPrompt } from '../../prompts/load-prompts.ts';
import type { ConversationPort } from '../conversation-port.ts';
import type { SlackBot } from '../slack/create-slack-bot.ts';
import { registerSlack } from '../slack/register-slack.ts';
import { signSlackRequest } from '../slack/sign-slack-request.ts';

/** A workflow that posts to a Slack channel: a new outbound destination, so the policy asks for a second person. */
export const postToTriage = (name: string) => ({
  schemaVersion: 1,
  name,
  trigger: { type: 'webhook' },
  nodes: [
    {
      id: 'post',
      uses: 'slack.postMessage',
      credential: 'slack',
      with: { channel: '#triage', text: 'New issue: {{ trigger.body.title }}' },
    },
  ],
  edges: [],
});

export type Team = {
  db: TestDatabase;
  model: ScriptedModelServer;
  service: ConversationService;
  port: ConversationPort;
  /** Slack members: TEAM T1. */
  people: Record<'owner' | 'builder' | 'viewer', { principal: Principal; slackUser: string }>;
  close(): Promise<void>;
};

/** A workspace of three people linked to Slack T1 (owner olga, builder bob, viewer vic), on a real database. */
export async function startTeam(): Promise<Team> {
  const db = await createTestDatabase();
  const model = await startScriptedModelServer();
  const service = createConversationService({
    sql: db.sql,
    provider: createOpenAIProvider({ model: 'gpt-test', apiKey: 'k', baseURL: model.openaiBaseUrl }),
    system: loadSystemPrompt(),
    ...createRuntimePorts({ sql: db.sql, connectors: builtinConnectors }),
  });
  const member = async (name: string, role: Role, slackUser: string) => {
    const user = await createUser(db.sql, { name, role });
    await linkIdentity(db.sql, user.id, 'slack', `T1:${slackUser}`);
    await linkIdentity(db.sql, user.id, 'discord', `G1:${slackUser}`);
    const principal = await resolveIdentity(db.sql, 'slack', `T1:${slackUser}`, 'slack');
    if (!principal) throw new Error('not linked');
    return { principal, slackUser };
  };
  const people = {
    owner: await member('olga', 'owner', 'UOWNER'),
    builder: await member('bob', 'builder', 'UBUILDER'),
    viewer: await member('vic', 'viewer', 'UVIEWER'),
  };
  return {
    db,
    model,
    service,
    port: toBotConversationPort(service, { approvalLinkBase: 'http://vmesh.test' }),
    people,
    async close() {
      await model.close();
      await db.drop();
    },
  };
}

export type SlackWire = {
  slack: SlackFake;
  server: FastifyInstance;
  bot: SlackBot;
  /** A signed app_mention from `user` in C1; resolves when the bot has handled it. */
  mention(user: string, text: string): Promise<number>;
  /** A signed Approve/Reject click by `user`. */
  click(user: string, proposalId: string, decision: 'approve' | 'reject'): Promise<number>;
  /** Texts (and block texts) the bot posted or updated since `from` (a count of calls). */
  posted(from?: number): string;
  calls(): number;
  close(): Promise<void>;
};

const SECRET = 'team-slack-signing-secret';

/** The real Slack bot (bolt, signed deliveries over HTTP) against the Slack wire fake. */
export async function startSlackWire(conversation: ConversationPort): Promise<SlackWire> {
  const slack = await startSlackFake({
    teamId: 'T1',
    channels: [{ id: 'C1', name: 'general', isMember: true }],
  });
  slack.addMessage('C1', { ts: '1700000000.000009', user: slack.botUserId, text: 'card' });
  const server = Fastify();
  const bot = await registerSlack(server, {
    conversation,
    botToken: slack.token,
    signingSecret: SECRET,
    slackApiUrl: slack.apiUrl,
  });
  const url = await server.listen({ host: '127.0.0.1', port: 0 });
  let counter = 0;
  const deliver = async (body: string, type = 'application/json') => {
    const response = await fetch(`${url}/slack/events`, {
      method: 'POST',
      headers: { 'content-type': type, ...signSlackRequest(SECRET, body) },
      body,
    });
    await bot.idle();
    return response.status;
  };
  const sent = () => slack.calls.filter((call) => call.method !== 'auth.test');
  return {
    slack,
    server,
    bot,
    async mention(user, text) {
      counter += 1;
      const ts = `17000001${String(counter).padStart(2, '0')}.000001`;
      slack.addMessage('C1', { ts, user, text: `<@UBOT> ${text}` });
      return deliver(
        JSON.stringify({
          type: 'event_callback',
          team_id: 'T1',
          event_id: `EvTeam${counter}`,
          event: { type: 'app_mention', user, text: `<@UBOT> ${text}`, ts, channel: 'C1' },
        }),
      );
    },
    async click(user, proposalId, decision) {
      counter += 1;
      const payload = {
        type: 'block_actions',
        team: { id: 'T1' },
        user: { id: user },
        trigger_id: `trig-${counter}`,
        channel: { id: 'C1' },
        container: { type: 'message', message_ts: '1700000000.000009', channel_id: 'C1' },
        message: { type: 'message', ts: '1700000000.000009', text: 'card', blocks: [] },
        actions: [
          {
            type: 'button',
            action_id: decision === 'approve' ? 'vmesh_approve' : 'vmesh_reject',
            block_id: 'b',
            action_ts: '1',
            value: JSON.stringify({ v: 1, proposalId, decision }),
          },
        ],
      };
      return deliver(
        `payload=${encodeURIComponent(JSON.stringify(payload))}`,
        'application/x-www-form-urlencoded',
      );
    },
    posted(from = 0) {
      return sent()
        .slice(from)
        .map((call) => {
          const blocks = (call.args.blocks ?? []) as Array<{ text?: { text?: string } }>;
          return `${String(call.args.text ?? '')}\n${blocks.map((block) => block.text?.text ?? '').join('\n')}`;
        })
        .join('\n');
    },
    calls: () => sent().length,
    async close() {
      await server.close();
      await slack.close();
    },
  };
}
