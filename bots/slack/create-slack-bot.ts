import { App, HTTPReceiver, LogLevel } from '@slack/bolt';
import type { KnownBlock, WebClient } from '@slack/web-api';
import type { Reply } from '../../agent/index.ts';
import { logger } from '../../lib/index.ts';
import { agentFailureReply } from '../agent-failure-reply.ts';
import type { BotActor, ConversationPort } from '../conversation-port.ts';
import { createMemoryDeliveryLedger, type DeliveryLedger } from '../delivery-dedupe.ts';
import { createPendingWork } from '../pending-work.ts';
import type { TriggerEventPort } from '../trigger-event-port.ts';
import { renderSlackConnectLink, renderSlackReply } from './render-slack-reply.ts';
import {
  parseSlackActionValue,
  SLACK_APPROVE_ACTION,
  SLACK_KEEP_BOTH_ACTION,
  SLACK_REJECT_ACTION,
} from './slack-action-value.ts';

export type SlackBotOptions = {
  conversation: ConversationPort;
  /** xoxb-… bot token (SLACK_BOT_TOKEN). */
  botToken: string;
  /** Signing secret (SLACK_SIGNING_SECRET): bolt refuses requests whose signature or timestamp is wrong. */
  signingSecret: string;
  /** xapp-… app-level token (SLACK_APP_TOKEN): when set, the bot connects over Socket Mode instead of HTTP. */
  appToken?: string | undefined;
  /** Web API base URL (tests point it at a local fake). */
  slackApiUrl?: string | undefined;
  /** Where channel messages go to start `slack.messagePosted` workflows (absent: they start nothing). */
  triggers?: TriggerEventPort | undefined;
  /** Where event ids and button clicks are remembered (the app: Postgres); default in this process only. */
  deliveries?: DeliveryLedger | undefined;
  /** This server's address, for links to its web pages in messages (a proposal's run page). */
  publicUrl?: string | undefined;
};

/** The event trigger this bot feeds with every message posted in a channel it is in. */
export const SLACK_MESSAGE_TRIGGER = 'slack.messagePosted';
const CHANNEL_NAME_TTL_MS = 10 * 60_000;

export type SlackBot = {
  app: App;
  /** The HTTP receiver (absent in Socket Mode): its requestListener serves POST /slack/events. */
  receiver: HTTPReceiver | undefined;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Resolves when every acknowledged event has been fully handled. */
  idle(): Promise<void>;
  /**
   * Posts replies the person did not ask for (a self-healing fix proposal, a run update) into the Slack thread
   * of a conversation. Returns false for thread keys that are not Slack's.
   */
  notify(threadKey: string, replies: Reply[]): Promise<boolean>;
};

/** `slack:<team>:<channel>[:<thread ts>]`, the thread key the bot gives each conversation. */
export function parseSlackThreadKey(
  threadKey: string,
): { channel: string; threadTs: string | undefined } | undefined {
  const match = /^slack:[^:]+:([A-Z0-9]+)(?::(\d+\.\d+))?$/.exec(threadKey);
  if (!match?.[1]) return undefined;
  return { channel: match[1], threadTs: match[2] };
}

const MENTION = /<@[A-Z0-9]+(\|[^>]*)?>/g;
const stripMentions = (text: string) => text.replace(MENTION, '').trim();

type Place = { client: WebClient; channel: string; threadTs: string | undefined };

/** `slack:T1:U2` → `U2`; undefined for identities of other front-ends. */
const slackUserOf = (identity: string): string | undefined => /^slack:[^:]+:([A-Z0-9]+)$/.exec(identity)?.[1];

/** The Slack bot: bolt parses and verifies, this file maps events to conversation turns and renders replies. */
export function createSlackBot(options: SlackBotOptions): SlackBot {
  const socketMode = Boolean(options.appToken);
  const receiver = socketMode
    ? undefined
    : new HTTPReceiver({
        signingSecret: options.signingSecret,
        endpoints: '/slack/events',
        logLevel: LogLevel.ERROR,
      });
  const app = new App({
    token: options.botToken,
    logLevel: LogLevel.ERROR,
    ...(receiver
      ? { receiver }
      : { socketMode: true, appToken: options.appToken, signingSecret: options.signingSecret }),
    ...(options.slackApiUrl ? { clientOptions: { slackApiUrl: options.slackApiUrl } } : {}),
  });
  const deliveries = options.deliveries ?? createMemoryDeliveryLedger();
  const work = createPendingWork((error) => logger.error({ err: error }, 'slack: handling an event failed'));
  /** Run id → the one message that shows its progress (updated in place with chat.update). */
  const runMessages = new Map<string, { channel: string; ts: string }>();

  app.error(async (error) => {
    logger.error({ err: error }, 'slack: bolt error');
  });

  // Slack redelivers an event it thinks we missed (X-Slack-Retry-Num) and may send one twice: the first
  // delivery was acknowledged and is being handled, so repeats end here without a second agent turn.
  app.use(async ({ context, body, next }) => {
    // Over HTTP a first delivery has no retry number; Socket Mode sends retry_attempt 0 for it.
    if (context.retryNum !== undefined && context.retryNum > 0) return;
    const eventId = (body as { event_id?: unknown }).event_id;
    if (typeof eventId === 'string' && !(await deliveries.firstDelivery(`slack:event:${eventId}`))) return;
    await next();
  });

  const post = async (place: Place, reply: Reply, replaceTs?: string): Promise<void> => {
    if (reply.type === 'connect_link') {
      // Only the person it is for sees the link: an ephemeral message in the thread.
      const user = slackUserOf(reply.recipient.identity);
      if (reply.url && user) {
        await place.client.chat.postEphemeral({
          channel: place.channel,
          user,
          ...(place.threadTs ? { thread_ts: place.threadTs } : {}),
          ...renderSlackConnectLink(reply),
        });
        if (replaceTs)
          await place.client.chat.update({ channel: place.channel, ts: replaceTs, text: 'Done.' });
        return;
      }
    }
    const message = renderSlackReply(reply, { publicUrl: options.publicUrl });
    if (reply.type === 'run_update') {
      const existing = runMessages.get(reply.runId);
      if (existing) {
        await place.client.chat.update({ channel: existing.channel, ts: existing.ts, ...message });
        return;
      }
    }
    let ts = replaceTs;
    if (replaceTs) await place.client.chat.update({ channel: place.channel, ts: replaceTs, ...message });
    else {
      const posted = await place.client.chat.postMessage({
        channel: place.channel,
        ...(place.threadTs ? { thread_ts: place.threadTs } : {}),
        ...message,
      });
      ts = posted.ts;
    }
    if (reply.type === 'run_update' && ts) runMessages.set(reply.runId, { channel: place.channel, ts });
  };

  const deliver = async (place: Place, replies: Reply[], placeholderTs: string | undefined) => {
    let replace = placeholderTs;
    for (const reply of replies) {
      await post(place, reply, replace);
      replace = undefined;
    }
    if (replace) await place.client.chat.update({ channel: place.channel, ts: replace, text: 'Done.' });
  };

  const converse = async (place: Place, threadKey: string, actor: BotActor, text: string) => {
    const placeholder = await place.client.chat.postMessage({
      channel: place.channel,
      ...(place.threadTs ? { thread_ts: place.threadTs } : {}),
      text: '_Thinking…_',
    });
    try {
      const replies = await options.conversation.handleMessage({ threadKey, actor, text });
      await deliver(place, replies, placeholder.ts);
    } catch (error) {
      await deliver(place, [agentFailureReply(error)], placeholder.ts);
    }
  };

  app.event('app_mention', async ({ event, context, client }) => {
    const team = context.teamId ?? 'T';
    const threadTs = event.thread_ts ?? event.ts;
    const user = event.user ?? 'unknown';
    work.run(() =>
      converse(
        { client, channel: event.channel, threadTs },
        `slack:${team}:${event.channel}:${threadTs}`,
        { platform: 'slack', id: `${team}:${user}` },
        stripMentions(event.text),
      ),
    );
  });

  app.message(async ({ message, context, client }) => {
    if (message.channel_type !== 'im' || message.subtype !== undefined || message.bot_id) return;
    const team = context.teamId ?? 'T';
    const threadTs = message.thread_ts;
    work.run(() =>
      converse(
        { client, channel: message.channel, threadTs },
        `slack:${team}:${message.channel}${threadTs ? `:${threadTs}` : ''}`,
        { platform: 'slack', id: `${team}:${message.user}` },
        stripMentions(message.text ?? ''),
      ),
    );
  });

  /** Channel id → its name (for `#name` filters), from conversations.info; unknown names stay undefined. */
  const channelNames = new Map<string, { name: string | undefined; expires: number }>();
  const channelName = async (client: WebClient, channel: string): Promise<string | undefined> => {
    const hit = channelNames.get(channel);
    if (hit && hit.expires > Date.now()) return hit.name;
    const name = await client.conversations
      .info({ channel })
      .then((answer) => answer.channel?.name)
      .catch(() => undefined);
    if (channelNames.size >= 1_000) channelNames.clear();
    channelNames.set(channel, { name, expires: Date.now() + CHANNEL_NAME_TTL_MS });
    return name;
  };

  // Every message in a channel the app is in may start slack.messagePosted workflows. Direct messages are
  // conversations with the agent (above), and the app's own posts never start runs: a workflow that posts to the
  // channel it listens to would otherwise trigger itself forever.
  app.event('message', async ({ event, body, context, client }) => {
    const triggers = options.triggers;
    if (!triggers) return;
    const message = event as {
      channel?: string;
      channel_type?: string;
      user?: string;
      bot_id?: string;
      team?: string;
    };
    if (!message.channel || message.channel_type === 'im') return;
    if (message.bot_id !== undefined && message.bot_id === context.botId) return;
    if (message.user !== undefined && message.user === context.botUserId) return;
    const eventId = (body as { event_id?: unknown }).event_id;
    const channel = message.channel;
    work.run(async () => {
      const name = await channelName(client, channel);
      await triggers.dispatch(
        SLACK_MESSAGE_TRIGGER,
        {
          ...event,
          ...(message.team ? {} : context.teamId ? { team: context.teamId } : {}),
          ...(name ? { channel_name: name } : {}),
        },
        { deliveryId: typeof eventId === 'string' ? `slack:${eventId}` : undefined },
      );
    });
  });

  app.command('/vmesh', async ({ command, ack, client }) => {
    const text = command.text.trim();
    if (!text) {
      await ack({
        response_type: 'ephemeral',
        text: 'Usage: `/vmesh <what to automate>` — e.g. `/vmesh post new GitHub bugs to #triage`',
      });
      return;
    }
    await ack();
    work.run(async () => {
      const opened = await client.chat.postMessage({
        channel: command.channel_id,
        text: `<@${command.user_id}>: ${text}`,
      });
      const threadTs = opened.ts;
      await converse(
        { client, channel: command.channel_id, threadTs },
        `slack:${command.team_id}:${command.channel_id}:${threadTs}`,
        { platform: 'slack', id: `${command.team_id}:${command.user_id}` },
        text,
      );
    });
  });

  // A connect link's button opens its URL in the browser; Slack still reports the click, which needs only an ack.
  app.action('vmesh_connect_link', async ({ ack }) => {
    await ack();
  });

  for (const actionId of [SLACK_APPROVE_ACTION, SLACK_REJECT_ACTION, SLACK_KEEP_BOTH_ACTION]) {
    app.action(actionId, async ({ ack, action, body, client }) => {
      await ack();
      if (action.type !== 'button' || body.type !== 'block_actions') return;
      const value = parseSlackActionValue(action.value);
      const channel = body.channel?.id;
      const message = body.message;
      if (
        !value ||
        !channel ||
        !(await deliveries.firstDelivery(
          `slack:action:${body.container?.message_ts ?? ''}:${body.trigger_id}`,
        ))
      )
        return;
      const team = body.team?.id ?? 'T';
      const threadTs = (message?.thread_ts as string | undefined) ?? (message?.ts as string | undefined);
      work.run(async () => {
        const actor = { platform: 'slack' as const, id: `${team}:${body.user.id}` };
        if (value.decision === 'keep_both') {
          const kept = (await options.conversation.keepBoth?.(value.proposalId, actor)) ?? [];
          await deliver({ client, channel, threadTs }, kept, undefined);
          return;
        }
        const replies = await options.conversation.decide({
          proposalId: value.proposalId,
          decision: value.decision,
          actor,
        });
        const refused = replies.some((reply) => reply.type === 'error');
        if (message?.ts && !refused) {
          const kept = ((message.blocks ?? []) as KnownBlock[]).filter((block) => block.type !== 'actions');
          const verdict = value.decision === 'approve' ? '✅ Approved' : '✖️ Rejected';
          await client.chat.update({
            channel,
            ts: message.ts as string,
            text: `${verdict} by <@${body.user.id}>`,
            blocks: [
              ...kept,
              { type: 'context', elements: [{ type: 'mrkdwn', text: `${verdict} by <@${body.user.id}>` }] },
            ],
          });
        }
        await deliver({ client, channel, threadTs }, replies, undefined);
      });
    });
  }

  return {
    app,
    receiver,
    async start() {
      if (socketMode) await app.start();
    },
    async stop() {
      await work.idle();
      if (socketMode) await app.stop();
    },
    idle: () => work.idle(),
    async notify(threadKey, replies) {
      const place = parseSlackThreadKey(threadKey);
      if (!place) return false;
      await deliver({ client: app.client, ...place }, replies, undefined);
      return true;
    },
  };
}
