import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type SlackFake, startSlackFake } from '../../connectors/slack/fake-server.ts';
import { createScriptedConversation, sampleProposalReply } from '../testing/scripted-conversation.ts';
import type { SlackBot } from './create-slack-bot.ts';
import { registerSlack } from './register-slack.ts';
import { renderSlackReply } from './render-slack-reply.ts';
import { signSlackRequest } from './sign-slack-request.ts';
import { parseSlackActionValue } from './slack-action-value.ts';

const SECRET = 'slack-signing-secret-for-tests';

describe('Slack bot over HTTP (real bolt, fake Web API)', () => {
  let slack: SlackFake;
  let server: FastifyInstance;
  let bot: SlackBot;
  let url: string;
  const conversation = createScriptedConversation();

  beforeAll(async () => {
    slack = await startSlackFake({
      teamId: 'T1',
      channels: [
        { id: 'C1', name: 'general', isMember: true },
        { id: 'C9', name: 'automation', isMember: true },
      ],
    });
    // The mention the bot answers in its thread, and the bot's proposal in that thread the button sits on.
    slack.addMessage('C1', { ts: '1700000001.000100', user: 'U1', text: '<@UBOT> post bugs to #triage' });
    slack.addMessage('C1', {
      ts: '1700000000.000003',
      user: slack.botUserId,
      text: 'Proposed',
      thread_ts: '1700000001.000100',
    });
    server = Fastify();
    bot = await registerSlack(server, {
      conversation,
      botToken: slack.token,
      signingSecret: SECRET,
      slackApiUrl: slack.apiUrl,
      publicUrl: 'https://vmesh.example.com/',
    });
    url = await server.listen({ host: '127.0.0.1', port: 0 });
  });
  afterAll(async () => {
    await server.close();
    await slack.close();
  });
  beforeEach(() => {
    slack.calls.length = 0;
    conversation.turns.length = 0;
  });

  /** Web API calls other than auth.test, in order. */
  const sent = () => slack.calls.filter((call) => call.method !== 'auth.test');

  const send = (body: string, headers: Record<string, string>, contentType = 'application/json') =>
    fetch(`${url}/slack/events`, {
      method: 'POST',
      headers: { 'content-type': contentType, ...headers },
      body,
    });

  const mention = (eventId: string, text = '<@UBOT> post bugs to #triage') =>
    JSON.stringify({
      type: 'event_callback',
      team_id: 'T1',
      api_app_id: 'A1',
      event_id: eventId,
      event_time: 1,
      event: {
        type: 'app_mention',
        user: 'U1',
        text,
        ts: '1700000001.000100',
        channel: 'C1',
        event_ts: '1700000001.000100',
      },
    });

  it('answers url_verification', async () => {
    const body = JSON.stringify({ type: 'url_verification', challenge: 'abc', token: 'x' });
    const response = await send(body, signSlackRequest(SECRET, body));
    expect(response.status).toBe(200);
    expect(await response.text()).toContain('abc');
  });

  it('refuses stale, tampered and wrong-version signatures with 401, and starts no turn', async () => {
    const body = mention('Ev-bad');
    const stale = signSlackRequest(SECRET, body, Math.floor(Date.now() / 1000) - 10 * 60);
    const tampered = signSlackRequest(SECRET, body.replace('#triage', '#general'));
    const good = signSlackRequest(SECRET, body);
    const wrongVersion = { ...good, 'x-slack-signature': good['x-slack-signature'].replace('v0=', 'v1=') };
    const wrongSecret = signSlackRequest('another-secret', body);
    for (const headers of [stale, tampered, wrongVersion, wrongSecret, {}]) {
      expect((await send(body, headers)).status).toBe(401);
    }
    await bot.idle();
    expect(conversation.turns).toHaveLength(0);
  });

  it('turns a mention into one turn in its thread; retries and duplicate event ids start none', async () => {
    const body = mention('Ev1');
    const first = await send(body, signSlackRequest(SECRET, body));
    expect(first.status).toBe(200);
    const retry = await send(body, {
      ...signSlackRequest(SECRET, body),
      'x-slack-retry-num': '1',
      'x-slack-retry-reason': 'http_timeout',
    });
    expect(retry.status).toBe(200);
    const duplicate = await send(body, signSlackRequest(SECRET, body));
    expect(duplicate.status).toBe(200);
    await bot.idle();
    expect(conversation.turns).toEqual([
      {
        threadKey: 'slack:T1:C1:1700000001.000100',
        actor: { platform: 'slack', id: 'T1:U1' },
        text: 'post bugs to #triage',
      },
    ]);
    const [placeholder, update, proposal] = sent();
    expect(placeholder).toMatchObject({
      method: 'chat.postMessage',
      args: { channel: 'C1', thread_ts: '1700000001.000100' },
    });
    expect(update).toMatchObject({
      method: 'chat.update',
      args: { text: expect.stringContaining('Here is a draft') },
    });
    expect(proposal?.method).toBe('chat.postMessage');
    const blocks = proposal?.args.blocks as Array<{ type: string; elements?: Array<{ value: string }> }>;
    const actions = blocks.find((block) => block.type === 'actions');
    expect(actions?.elements?.map((element) => parseSlackActionValue(element.value))).toEqual([
      { v: 1, proposalId: 'p1', decision: 'approve' },
      { v: 1, proposalId: 'p1', decision: 'reject' },
    ]);
  });

  it('approves from a button click and replaces the buttons with the verdict', async () => {
    const payload = {
      type: 'block_actions',
      team: { id: 'T1' },
      user: { id: 'U1' },
      api_app_id: 'A1',
      token: 'legacy',
      trigger_id: 'trig-1',
      container: { type: 'message', message_ts: '1700000000.000003', channel_id: 'C1' },
      channel: { id: 'C1', name: 'general' },
      message: {
        type: 'message',
        ts: '1700000000.000003',
        thread_ts: '1700000001.000100',
        text: 'Proposed',
        blocks: [
          { type: 'section', text: { type: 'mrkdwn', text: 'x' } },
          { type: 'actions', elements: [] },
        ],
      },
      actions: [
        {
          type: 'button',
          action_id: 'vmesh_approve',
          block_id: 'vmesh_decision',
          action_ts: '1700000002.1',
          value: JSON.stringify({ v: 1, proposalId: 'p1', decision: 'approve' }),
          text: { type: 'plain_text', text: 'Approve' },
        },
      ],
    };
    const body = `payload=${encodeURIComponent(JSON.stringify(payload))}`;
    const response = await send(body, signSlackRequest(SECRET, body), 'application/x-www-form-urlencoded');
    expect(response.status).toBe(200);
    await send(body, signSlackRequest(SECRET, body), 'application/x-www-form-urlencoded');
    await bot.idle();
    expect(conversation.decisions).toEqual([
      { proposalId: 'p1', decision: 'approve', actor: { platform: 'slack', id: 'T1:U1' } },
    ]);
    const [update, reply] = sent();
    expect(update).toMatchObject({
      method: 'chat.update',
      args: { ts: '1700000000.000003', text: '✅ Approved by <@U1>' },
    });
    expect((update?.args.blocks as Array<{ type: string }> | undefined)?.map((block) => block.type)).toEqual([
      'section',
      'context',
    ]);
    expect(reply).toMatchObject({ method: 'chat.postMessage', args: { thread_ts: '1700000001.000100' } });
  });

  it('offers Keep both on a card that replaced an open proposal, and a click keeps both', async () => {
    const card = sampleProposalReply({
      id: 'p2',
      kind: 'workflow',
      title: 'Second idea',
      summary: 'This replaces proposal p1 (closed unless you keep both).',
      document: {
        schemaVersion: 1,
        name: 'Second idea',
        trigger: { type: 'manual' },
        nodes: [],
        edges: [],
      } as never,
    });
    card.proposal.replaces = ['p1'];
    const rendered = renderSlackReply(card);
    const buttons = (rendered.blocks ?? []).flatMap((block) =>
      'elements' in block ? (block.elements as { action_id?: string; value?: string }[]) : [],
    );
    const keep = buttons.find((button) => button.action_id === 'vmesh_keep_both');
    expect(parseSlackActionValue(keep?.value)).toEqual({ v: 1, proposalId: 'p2', decision: 'keep_both' });
    expect(JSON.stringify(rendered.blocks)).toContain('This replaces proposal p1');

    const payload = {
      type: 'block_actions',
      team: { id: 'T1' },
      user: { id: 'U1' },
      api_app_id: 'A1',
      token: 'legacy',
      trigger_id: 'trig-keep',
      container: { type: 'message', message_ts: '1700000000.000003', channel_id: 'C1' },
      channel: { id: 'C1', name: 'general' },
      message: { type: 'message', ts: '1700000000.000003', thread_ts: '1700000001.000100', text: 'Proposed' },
      actions: [
        {
          type: 'button',
          action_id: 'vmesh_keep_both',
          block_id: 'vmesh_decision',
          action_ts: '1700000002.2',
          value: keep?.value,
          text: { type: 'plain_text', text: 'Keep both' },
        },
      ],
    };
    const body = `payload=${encodeURIComponent(JSON.stringify(payload))}`;
    const response = await send(body, signSlackRequest(SECRET, body), 'application/x-www-form-urlencoded');
    expect(response.status).toBe(200);
    await bot.idle();
    expect(conversation.keptBoth).toEqual([{ proposalId: 'p2', actor: { platform: 'slack', id: 'T1:U1' } }]);
    expect(conversation.decisions.some((decision) => decision.proposalId === 'p2')).toBe(false);
    expect(sent()).toEqual([
      expect.objectContaining({
        method: 'chat.postMessage',
        args: expect.objectContaining({
          thread_ts: '1700000001.000100',
          text: expect.stringContaining('Kept both'),
        }),
      }),
    ]);
  });

  it('starts a thread from the /vmesh slash command', async () => {
    const body = new URLSearchParams({
      command: '/vmesh',
      text: 'email me daily',
      team_id: 'T1',
      channel_id: 'C9',
      user_id: 'U2',
      trigger_id: 't',
      response_url: 'http://127.0.0.1:1/unused',
      token: 'legacy',
      api_app_id: 'A1',
    }).toString();
    const response = await send(body, signSlackRequest(SECRET, body), 'application/x-www-form-urlencoded');
    expect(response.status).toBe(200);
    await bot.idle();
    expect(conversation.turns[0]).toMatchObject({ text: 'email me daily', actor: { id: 'T1:U2' } });
    expect(sent()[0]).toMatchObject({
      method: 'chat.postMessage',
      args: { channel: 'C9', text: '<@U2>: email me daily' },
    });
  });

  it('posts a self-healing fix proposal into the thread of the conversation (notify), with Approve/Reject', async () => {
    const fix = sampleProposalReply({
      id: 'fix-1',
      kind: 'fix',
      title: 'Fix: use the channel id',
      summary: 'The post failed with channel_not_found; use C0TRIAGE instead of #triage.',
      document: {
        schemaVersion: 1,
        name: 'Bugs to triage',
        trigger: { type: 'webhook' },
        nodes: [{ id: 'post', uses: 'slack.postMessage', with: { channel: 'C0TRIAGE', text: 'bug' } }],
        edges: [],
      },
    });
    expect(await bot.notify('slack:T1:C1:1700000001.000100', [fix])).toBe(true);
    const [posted] = sent();
    expect(posted).toMatchObject({
      method: 'chat.postMessage',
      args: { channel: 'C1', thread_ts: '1700000001.000100' },
    });
    const buttons = JSON.stringify(posted?.args.blocks);
    expect(buttons).toContain('fix-1');
    expect(await bot.notify('discord:G1:C2', [fix])).toBe(false);
  });

  it('posts a resume and a delete proposal (no document) as cards with Approve/Reject', async () => {
    const resume = sampleProposalReply({
      id: 'op-resume',
      kind: 'activate',
      title: 'Resume',
      summary: 'Resume workflow "standup": its schedule trigger starts runs again (version 2).',
      document: null,
    });
    const remove = sampleProposalReply({
      id: 'op-delete',
      kind: 'delete',
      title: 'Delete',
      summary: 'Delete workflow "standup" (wf_1, paused): it stops for good; its runs keep their records.',
      document: null,
    });
    expect(await bot.notify('slack:T1:C1:1700000001.000100', [resume, remove])).toBe(true);
    const [first, second] = sent();
    expect(first?.args.text).toContain('Proposed: resume workflow');
    expect(second?.args.text).toContain('Confirm: delete workflow');
    for (const [posted, id] of [
      [first, 'op-resume'],
      [second, 'op-delete'],
    ] as const) {
      const blocks = (posted?.args.blocks ?? []) as { type: string; elements?: { value?: string }[] }[];
      const actions = blocks.find((block) => block.type === 'actions');
      expect(actions?.elements?.map((button) => parseSlackActionValue(button.value ?? ''))).toEqual([
        { v: 1, proposalId: id, decision: 'approve' },
        { v: 1, proposalId: id, decision: 'reject' },
      ]);
    }
  });

  it('names the files a proposal holds (name, type, size) and links its run page', async () => {
    const fix = sampleProposalReply({
      id: 'fix-files',
      kind: 'fix',
      title: 'Fix: attach the report',
      summary: 'Attach the report the run downloaded.',
      document: {
        schemaVersion: 1,
        name: 'Report to triage',
        trigger: { type: 'manual' },
        nodes: [
          {
            id: 'post',
            uses: 'slack.uploadFile',
            with: {
              channel: 'C0TRIAGE',
              file: {
                id: 'f_abcdefghijklmnopqrstuvwx',
                name: 'report <final>.pdf',
                contentType: 'application/pdf',
                size: 1536,
                sha256: 'a'.repeat(64),
              },
            },
          },
        ],
        edges: [],
      },
    });
    expect(await bot.notify('slack:T1:C1:1700000001.000100', [fix])).toBe(true);
    const [posted] = sent();
    const blocks = JSON.stringify(posted?.args.blocks);
    expect(blocks).toContain('*Files:*');
    expect(blocks).toContain('report &lt;final&gt;.pdf (application/pdf, 1.5 KB)');
    expect(blocks).toContain('<https://vmesh.example.com/#/runs/run-1|Open the run page>');
  });
});
