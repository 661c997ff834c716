import { createHmac, randomUUID } from 'node:crypto';
import { invokeAction } from '../../connectors/index.ts';
import { AppError } from '../../lib/index.ts';
import type { NodeRunnerDeps } from '../engine/node-runner.ts';
import type { AlertDeliver, AlertNotice } from './evaluate-alerts.ts';

/** The ports only the app has: the conversation a workflow came from, and a Slack/Discord channel by thread key. */
export type AlertChatPorts = {
  /** Tells the conversation each of `workflowIds` came from (noted there, and posted to its front-end). */
  tellWorkflowConversations?: ((workflowIds: readonly string[], text: string) => Promise<void>) | undefined;
  /** Tells one conversation (a rule the agent made in it). */
  tellConversation?: ((conversationId: string, text: string) => Promise<void>) | undefined;
  /** Posts to a chat place (`slack:T:C`, `discord:G:C`); false when no front-end took it. */
  postToChat?: ((threadKey: string, text: string) => Promise<boolean>) | undefined;
};

/** `sha256=HEX` of HMAC-SHA256(secret, `${timestamp}.${body}`): what x-vmesh-signature carries. */
export function signAlertBody(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/** The text a chat or email shows: the title, the facts, the evidence. */
export function alertText(notice: AlertNotice): string {
  return `${notice.title}\n${notice.message}${notice.link ? `\nEvidence: ${notice.link}` : ''}`;
}

const WEBHOOK_TIMEOUT_MS = 10_000;

const undelivered = (message: string, hint: string) =>
  new AppError({ code: 'E_ALERT_UNDELIVERED', message, hint, retryable: false });

/**
 * Delivers to the rule's destination: webhooks through the connectors' guarded fetch (the reach guard: no
 * internal addresses unless VMESH_HTTP_ALLOW_HOSTS lists them), email through the email connector's `send` with the
 * named stored credential, chats through the app's ports.
 */
export function createAlertDeliverer(deps: NodeRunnerDeps, chat: AlertChatPorts): AlertDeliver {
  return async (rule, notice) => {
    const destination = rule.destination;
    const text = alertText(notice);
    switch (destination.type) {
      case 'conversation': {
        if (destination.conversationId !== undefined) {
          if (!chat.tellConversation)
            throw undelivered(
              'No conversation service is connected here.',
              'Alerts run in the app’s worker.',
            );
          await chat.tellConversation(destination.conversationId, text);
          return;
        }
        if (!chat.tellWorkflowConversations)
          throw undelivered('No conversation service is connected here.', 'Alerts run in the app’s worker.');
        if (notice.workflowIds.length === 0)
          throw undelivered(
            'This alert concerns no workflow, so it has no conversation to go to.',
            'Send this rule to a channel, webhook or email instead.',
          );
        await chat.tellWorkflowConversations(notice.workflowIds, text);
        return;
      }
      case 'slack':
      case 'discord': {
        const threadKey = `${destination.type}:alerts:${destination.channel}`;
        const posted = (await chat.postToChat?.(threadKey, text)) ?? false;
        if (!posted)
          throw undelivered(
            `No ${destination.type} bot is connected to post to channel ${destination.channel}.`,
            destination.type === 'slack'
              ? 'Set SLACK_BOT_TOKEN (and the signing secret or app token).'
              : 'Set DISCORD_BOT_TOKEN.',
          );
        return;
      }
      case 'webhook': {
        const body = JSON.stringify({ ...notice, text });
        const timestamp = String(Math.floor(Date.parse(notice.at) / 1000));
        const response = await deps.connectorEnv.fetch(destination.url, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'user-agent': 'VelocityMesh-Alerts',
            'x-vmesh-alert-id': `${notice.ruleId}:${notice.type}:${randomUUID()}`,
            'x-vmesh-timestamp': timestamp,
            'x-vmesh-signature': signAlertBody(rule.secret, timestamp, body),
          },
          body,
          signal: AbortSignal.timeout(WEBHOOK_TIMEOUT_MS),
        });
        await response.body?.cancel().catch(() => {});
        if (!response.ok)
          throw undelivered(
            `The alert webhook answered HTTP ${response.status}.`,
            'Check the receiver accepts JSON POSTs.',
          );
        return;
      }
      case 'email': {
        const stored = await deps.credentials?.get(destination.credential);
        if (!stored)
          throw undelivered(
            `The email credential "${destination.credential}" is not stored.`,
            `Store it: vmesh credentials set ${destination.credential} --type smtp`,
          );
        const connector = deps.connectors.find((candidate) => candidate.id === 'email');
        const action = connector?.actions.find((candidate) => candidate.key === 'send');
        if (!connector || !action)
          throw undelivered('The email connector is not loaded.', 'Alerts by email need it.');
        await invokeAction({
          connector,
          action,
          input: { to: destination.to, subject: notice.title.slice(0, 200), text },
          credential: stored.secret,
          ...(stored.type === undefined ? {} : { credentialType: stored.type }),
          env: deps.connectorEnv,
          signal: AbortSignal.timeout(30_000),
          attempt: 1,
          idempotencyKey: `alert:${notice.ruleId}:${notice.subject}:${notice.type}:${notice.at}`,
          node: { id: 'alert', runId: notice.ruleId },
          logger: deps.logger,
        });
        return;
      }
    }
  };
}
