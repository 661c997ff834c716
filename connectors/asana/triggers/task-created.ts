import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { ConnectorError } from '../../sdk/connector-error.ts';
import { defineTrigger, type WebhookDelivery, type WebhookSubscription } from '../../sdk/define.ts';
import { fillPath, type RestClient } from '../../sdk/rest/index.ts';
import { type AsanaCredential, DataEnvelope, Gid } from '../client.ts';

export const TaskCreatedFilters = z.strictObject({
  projectGid: Gid('project').describe(
    'The project to watch (digits from its URL); the webhook is registered on it.',
  ),
});
export type TaskCreatedFilters = z.infer<typeof TaskCreatedFilters>;

export const TaskCreatedData = z.object({
  taskGid: z.string().describe('The first new task’s gid (give it to asana.getTask for its name and notes).'),
  taskGids: z.array(z.string()).describe('Every task added in this delivery (Asana batches events).'),
  projectGid: z.string().nullable().describe('The project it was added to.'),
  createdBy: z.string().nullable().describe('The gid of the user who added it.'),
  createdAt: z.string().describe('When (ISO).'),
});
export type TaskCreatedData = z.infer<typeof TaskCreatedData>;

const Events = z.object({
  events: z
    .array(
      z
        .object({
          action: z.string(),
          created_at: z.string().optional(),
          user: z.object({ gid: z.string() }).loose().nullable().optional(),
          resource: z.object({ gid: z.string(), resource_type: z.string() }).loose(),
          parent: z.object({ gid: z.string(), resource_type: z.string() }).loose().nullable().optional(),
        })
        .loose(),
    )
    .max(1000),
});

function header(delivery: WebhookDelivery, name: string): string | undefined {
  const value = delivery.headers[name];
  return typeof value === 'string' ? value : undefined;
}

/** Asana's `X-Hook-Signature`: hex HMAC-SHA256 of the raw body with the secret of the handshake. */
export function verifyAsanaDelivery(delivery: WebhookDelivery, secret: string): boolean {
  const given = header(delivery, 'x-hook-signature')?.trim() ?? '';
  if (!/^[0-9a-f]{64}$/i.test(given) || !secret) return false;
  const expected = createHmac('sha256', secret).update(delivery.rawBody).digest();
  const received = Buffer.from(given, 'hex');
  return received.length === expected.length && timingSafeEqual(received, expected);
}

export function signAsanaPayload(rawBody: Buffer | string, secret: string): string {
  return createHmac('sha256', secret).update(rawBody).digest('hex');
}

export function parseAsanaTaskCreated(body: unknown): TaskCreatedData | undefined {
  const parsed = Events.safeParse(body);
  if (!parsed.success) return undefined;
  const added = parsed.data.events.filter(
    (event) =>
      event.action === 'added' &&
      event.resource.resource_type === 'task' &&
      event.parent?.resource_type === 'project',
  );
  const [first] = added;
  if (!first) return undefined;
  return {
    taskGid: first.resource.gid,
    taskGids: [...new Set(added.map((event) => event.resource.gid))],
    projectGid: first.parent?.gid ?? null,
    createdBy: first.user?.gid ?? null,
    createdAt: first.created_at ?? new Date().toISOString(),
  };
}

const Webhook = z.object({ gid: z.string(), target: z.string().optional() }).loose();
const Project = z.object({ workspace: z.object({ gid: z.string() }).loose() }).loose();

/**
 * An Asana webhook on the project (`POST /webhooks` with resource, target and a task-added filter). Asana sends
 * the handshake (X-Hook-Secret) to the target before it answers; the runtime learns the secret from it (see
 * `handshake`). A webhook an earlier attempt left for this target is deleted first, so a retry makes one webhook
 * with a fresh handshake.
 */
const projectWebhook: WebhookSubscription<TaskCreatedFilters, AsanaCredential, RestClient> = {
  target: (filters) => filters.projectGid,
  async create(ctx, filters, hook) {
    const project = Project.parse(
      DataEnvelope.parse(
        (
          await ctx.client.send(
            {
              method: 'GET',
              path: fillPath('/projects/{gid}', { gid: filters.projectGid }),
              query: { opt_fields: 'workspace' },
            },
            ctx.signal,
          )
        ).body,
      ).data,
    );
    const listed = await ctx.client.send(
      {
        method: 'GET',
        path: '/webhooks',
        query: { workspace: project.workspace.gid, resource: filters.projectGid, limit: 100 },
      },
      ctx.signal,
    );
    const stale = z
      .array(Webhook)
      .max(100)
      .parse(DataEnvelope.parse(listed.body).data)
      .filter((webhook) => webhook.target === hook.url);
    for (const webhook of stale) await projectWebhook.delete(ctx, filters, { id: webhook.gid });
    const created = await ctx.client.send(
      {
        method: 'POST',
        path: '/webhooks',
        json: {
          data: {
            resource: filters.projectGid,
            target: hook.url,
            filters: [{ resource_type: 'task', action: 'added' }],
          },
        },
      },
      ctx.signal,
    );
    return { id: Webhook.parse(DataEnvelope.parse(created.body).data).gid };
  },
  async delete(ctx, _filters, subscription) {
    try {
      await ctx.client.send(
        { method: 'DELETE', path: fillPath('/webhooks/{gid}', { gid: subscription.id }) },
        ctx.signal,
      );
    } catch (error) {
      if (error instanceof ConnectorError && error.status === 404) return;
      throw error;
    }
  },
};

export const taskCreated = defineTrigger({
  key: 'taskCreated',
  title: 'Asana task created',
  description:
    'Starts the workflow when a task is added to an Asana project (registers a project webhook itself; the X-Hook-Secret handshake is answered and X-Hook-Signature verified).',
  kind: 'webhook',
  with: TaskCreatedFilters,
  data: TaskCreatedData,
  sample: {
    taskGid: '1204567890123457',
    taskGids: ['1204567890123457'],
    projectGid: '1204567890123456',
    createdBy: '1200000000000001',
    createdAt: '2026-12-04T09:30:00.000Z',
  } satisfies TaskCreatedData,
  handshake(delivery) {
    const secret = header(delivery, 'x-hook-secret');
    return secret ? { secret, responseHeaders: { 'x-hook-secret': secret } } : undefined;
  },
  verify: verifyAsanaDelivery,
  parse: (delivery) => parseAsanaTaskCreated(delivery.body),
  subscription: projectWebhook,
  matches(filters, data) {
    const parsed = TaskCreatedData.safeParse(data);
    return parsed.success && parsed.data.projectGid === filters.projectGid;
  },
});
