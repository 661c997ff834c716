import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningApp, startApp } from '../app/start.ts';
import { type DiscordFake, startDiscordFake } from '../connectors/discord/fake-server.ts';
import { type SlackFake, startSlackFake } from '../connectors/slack/fake-server.ts';
import { createTestDatabase, type TestDatabase } from '../db/testing/test-database.ts';
import { generateDiscordKeys, signDiscordRequest } from './discord/sign-discord-request.ts';
import { signSlackRequest } from './slack/sign-slack-request.ts';

// Replayed chat-platform deliveries against two app servers on one database, as `npm start` runs them (real
// Ed25519 and Slack signatures, fake platform APIs): a replay to the other process, or after a restart, starts no
// second turn, and a Discord interaction signed long ago is refused.
const SLACK_SECRET = 'slack-signing-secret-for-replay';
const keys = generateDiscordKeys();
let db: TestDatabase;
let discord: DiscordFake;
let slack: SlackFake;
let first: RunningApp | undefined;
let second: RunningApp | undefined;

beforeAll(async () => {
  db = await createTestDatabase({ poolSize: 8 });
  discord = await startDiscordFake({ applicationId: '123456789' });
  slack = await startSlackFake({ teamId: 'T1', channels: [{ id: 'C1', name: 'general', isMember: true }] });
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DATABASE_URL: db.url,
    HOST: '127.0.0.1',
    PORT: '0',
    LOG_LEVEL: 'silent',
    VMESH_NO_WORKER: '1',
    VMESH_SECRET_KEY: Buffer.alloc(32, 23).toString('base64'),
    DISCORD_APPLICATION_ID: '123456789',
    DISCORD_PUBLIC_KEY: keys.publicKeyHex,
    DISCORD_API_URL: discord.apiUrl,
    SLACK_BOT_TOKEN: slack.token,
    SLACK_SIGNING_SECRET: SLACK_SECRET,
    SLACK_API_URL: slack.apiUrl,
  };
  for (const name of [
    'VMESH_API_TOKEN',
    'VMESH_PUBLIC_URL',
    'ANTHROPIC_API_KEY',
    'OPENAI_API_KEY',
    'SLACK_APP_TOKEN',
  ])
    delete env[name];
  first = await startApp(env);
  second = await startApp(env);
}, 60_000);
afterAll(async () => {
  await first?.stop();
  await second?.stop();
  await discord?.close();
  await slack?.close();
  await db?.drop();
});

const interaction = (id: string, token: string) => ({
  id,
  type: 2,
  token,
  guild_id: 'G1',
  channel_id: 'C1',
  member: { user: { id: 'U1', username: 'ada' } },
  data: { name: 'vmesh', options: [{ name: 'message', type: 3, value: 'hello' }] },
});

const toDiscord = (app: RunningApp | undefined, body: string, headers: Record<string, string>) =>
  fetch(`${app?.url}/discord/interactions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body,
  });

const nowSeconds = () => Math.floor(Date.now() / 1000);

describe('Discord', () => {
  it('refuses a validly signed interaction whose timestamp is more than 5 minutes off (401)', async () => {
    for (const skew of [-301, 301, -3_600 * 24]) {
      const body = JSON.stringify(interaction(`I-old${skew}`, `tok-old${skew}`));
      const response = await toDiscord(
        first,
        body,
        signDiscordRequest(keys.privateKey, body, String(nowSeconds() + skew)),
      );
      expect(response.status, `skew ${skew}`).toBe(401);
    }
    const ping = JSON.stringify({ id: 'I-ping', type: 1 });
    const fresh = await toDiscord(
      first,
      ping,
      signDiscordRequest(keys.privateKey, ping, String(nowSeconds() - 200)),
    );
    expect(await fresh.json()).toEqual({ type: 1 });
  });
});

describe('replays to another process on the same database', () => {
  it('a Discord interaction and a Slack event delivered to both servers start one turn each', async () => {
    const body = JSON.stringify(interaction('I-replayed', 'tok-replayed'));
    const headers = signDiscordRequest(keys.privateKey, body);
    expect(await (await toDiscord(first, body, headers)).json()).toEqual({ type: 5 });
    // The replay is acknowledged (Discord wants an answer) but starts nothing.
    expect(await (await toDiscord(second, body, headers)).json()).toEqual({ type: 5 });

    const event = JSON.stringify({
      type: 'event_callback',
      team_id: 'T1',
      api_app_id: 'A1',
      event_id: 'Ev-replayed',
      event_time: 1,
      event: {
        type: 'app_mention',
        user: 'U1',
        text: '<@UBOT> hello',
        ts: '1700000001.000100',
        channel: 'C1',
        event_ts: '1700000001.000100',
      },
    });
    for (const app of [first, second]) {
      const response = await fetch(`${app?.url}/slack/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...signSlackRequest(SLACK_SECRET, event) },
        body: event,
      });
      expect(response.status).toBe(200);
    }

    // Stopping a server waits for the work it acknowledged: after both, every turn that was started is done.
    await first?.stop();
    await second?.stop();
    first = undefined;
    second = undefined;
    const discordTurns = discord.requests.filter(
      (request) => request.method === 'PATCH' && request.path.includes('/tok-replayed/'),
    );
    expect(discordTurns).toHaveLength(1);
    const slackTurns = slack.calls.filter(
      (call) => call.method === 'chat.postMessage' && String(call.args.text).includes('Thinking'),
    );
    expect(slackTurns).toHaveLength(1);
    const [row] =
      await db.sql`select count(*)::int as n from bot_deliveries where id in ('discord:I-replayed', 'slack:event:Ev-replayed')`;
    expect(row?.n).toBe(2);
  });
});
