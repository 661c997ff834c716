import { timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { ConnectorError } from '../../sdk/connector-error.ts';
import { defineTrigger, type WebhookDelivery, type WebhookSubscription } from '../../sdk/define.ts';
import type { RestClient } from '../../sdk/rest/index.ts';
import { Deal, toDeal } from '../actions/deals.ts';
import { dataOf, type PipedriveCredential } from '../client.ts';

export const DealCreatedFilters = z.strictObject({
  pipelineId: z.number().int().positive().optional().describe('Only deals created in this pipeline, e.g. 1.'),
  stageId: z.number().int().positive().optional().describe('Only deals created in this stage.'),
  ownerId: z.number().int().positive().optional().describe('Only deals owned by this user.'),
});
export type DealCreatedFilters = z.infer<typeof DealCreatedFilters>;

export const DealCreatedData = z.object({
  deal: Deal.describe('The new deal, as Pipedrive’s webhook sends it.'),
  userId: z.number().int().nullable().describe('The user who created it.'),
  companyId: z.number().int().nullable().describe('The Pipedrive company (account) id.'),
  eventId: z.string().describe('Pipedrive’s id of this delivery.'),
});
export type DealCreatedData = z.infer<typeof DealCreatedData>;

/** The user name our webhooks carry; the password is the workflow's hook secret. */
export const PIPEDRIVE_HOOK_USER = 'vmesh';

const Id = z.union([z.number().int(), z.string().regex(/^\d+$/).transform(Number)]);
/** Webhooks v2: `{ data, previous, meta: { action: "create", entity: "deal", id, … } }`. */
const V2Payload = z.object({
  data: z.unknown(),
  meta: z.object({
    action: z.literal('create'),
    entity: z.literal('deal'),
    id: z.string().optional(),
    entity_id: z.union([z.string(), z.number()]).optional(),
    timestamp: z.union([z.string(), z.number()]).optional(),
    user_id: Id.optional(),
    company_id: Id.optional(),
  }),
});
/** Webhooks v1 (set up by hand in the app): `{ current, previous, meta: { action: "added", object: "deal" } }`. */
const V1Payload = z.object({
  current: z.unknown(),
  meta: z.object({
    action: z.literal('added'),
    object: z.literal('deal'),
    id: Id,
    timestamp: z.union([z.string(), z.number()]).optional(),
    user_id: Id.optional(),
    company_id: Id.optional(),
  }),
});

function authorizationOf(delivery: WebhookDelivery): string | undefined {
  const value = delivery.headers.authorization;
  return typeof value === 'string' ? value : undefined;
}

/** Pipedrive sends the webhook's http_auth_user/password as Basic auth: compared in constant time. */
export function verifyPipedriveDelivery(delivery: WebhookDelivery, secret: string): boolean {
  const header = authorizationOf(delivery);
  if (!header || !secret) return false;
  const expected = Buffer.from(`Basic ${Buffer.from(`${PIPEDRIVE_HOOK_USER}:${secret}`).toString('base64')}`);
  const given = Buffer.from(header.trim());
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** The deal of a payload, or undefined when it is not one (a delivery's body is the sender's, not ours). */
function dealOf(raw: unknown): Deal | undefined {
  try {
    return toDeal(raw);
  } catch {
    return undefined;
  }
}

export function parseDealCreated(body: unknown): DealCreatedData | undefined {
  const v2 = V2Payload.safeParse(body);
  if (v2.success) {
    const deal = dealOf(v2.data.data);
    if (!deal) return undefined;
    const { meta } = v2.data;
    return {
      deal,
      userId: meta.user_id ?? null,
      companyId: meta.company_id ?? null,
      eventId: meta.id ?? `deal-${deal.id}-${String(meta.timestamp ?? deal.addTime)}`,
    };
  }
  const v1 = V1Payload.safeParse(body);
  const deal = v1.success ? dealOf(v1.data.current) : undefined;
  if (!v1.success || !deal) return undefined;
  return {
    deal,
    userId: v1.data.meta.user_id ?? null,
    companyId: v1.data.meta.company_id ?? null,
    eventId: `deal-${deal.id}-added`,
  };
}

const Webhook = z.object({ id: Id, subscription_url: z.string() }).loose();
type Context = Parameters<
  WebhookSubscription<DealCreatedFilters, PipedriveCredential, RestClient>['create']
>[0];

async function listHooks(ctx: Context): Promise<z.infer<typeof Webhook>[]> {
  const answer = await ctx.client.send({ method: 'GET', path: '/v1/webhooks' }, ctx.signal);
  return z
    .array(Webhook)
    .max(1000)
    .parse(dataOf(answer.body) ?? []);
}

async function deleteHook(ctx: Context, id: number | string): Promise<void> {
  try {
    await ctx.client.send(
      { method: 'DELETE', path: `/v1/webhooks/${encodeURIComponent(String(id))}` },
      ctx.signal,
    );
  } catch (error) {
    // Already gone: deleted in the app, or by an attempt whose answer was lost.
    if (error instanceof ConnectorError && (error.status === 404 || error.status === 410)) return;
    throw error;
  }
}

/**
 * A webhook v2 for `create.deal` (POST /v1/webhooks) delivering to the workflow's hook URL with Basic auth
 * `vmesh:<hook secret>`. Pipedrive cannot change a webhook's password, so a hook an earlier attempt left for
 * the same URL is deleted first: one hook remains, with this attempt's secret.
 */
export const dealWebhook: WebhookSubscription<DealCreatedFilters, PipedriveCredential, RestClient> = {
  target: () => null,
  async create(ctx, _filters, hook) {
    for (const existing of await listHooks(ctx)) {
      if (existing.subscription_url === hook.url) await deleteHook(ctx, existing.id);
    }
    const answer = await ctx.client.send(
      {
        method: 'POST',
        path: '/v1/webhooks',
        json: {
          subscription_url: hook.url,
          event_action: 'create',
          event_object: 'deal',
          http_auth_user: PIPEDRIVE_HOOK_USER,
          http_auth_password: hook.secret,
          version: '2.0',
        },
      },
      ctx.signal,
    );
    return { id: String(Webhook.parse(dataOf(answer.body)).id) };
  },
  async delete(ctx, _filters, subscription) {
    await deleteHook(ctx, subscription.id);
  },
};

export const dealCreated = defineTrigger({
  key: 'dealCreated',
  title: 'Pipedrive deal created',
  description:
    'Starts the workflow when a deal is added in Pipedrive; registers its own webhook (v2, create.deal) with Basic-auth credentials that every delivery must carry.',
  kind: 'webhook',
  senderEvents: ['create.deal'],
  with: DealCreatedFilters,
  data: DealCreatedData,
  sample: {
    deal: {
      id: 42,
      title: 'Acme Corp – 50 seats',
      value: 12000,
      currency: 'EUR',
      status: 'open',
      stageId: 1,
      pipelineId: 1,
      personId: 7,
      orgId: 3,
      ownerId: 12345,
      expectedCloseDate: null,
      addTime: '2026-12-04T09:30:00Z',
      updateTime: '2026-12-04T09:30:00Z',
      customFields: {},
    },
    userId: 12345,
    companyId: 987654,
    eventId: '8a4c6a2e-4f0b-4f6f-9c7e-1d2a3b4c5d6e',
  } satisfies DealCreatedData,
  verify: verifyPipedriveDelivery,
  deliveryId: (delivery) => parseDealCreated(delivery.body)?.eventId,
  parse: (delivery) => parseDealCreated(delivery.body),
  subscription: dealWebhook,
  matches(filters, data) {
    const parsed = DealCreatedData.safeParse(data);
    if (!parsed.success) return false;
    const { deal } = parsed.data;
    if (filters.pipelineId !== undefined && deal.pipelineId !== filters.pipelineId) return false;
    if (filters.stageId !== undefined && deal.stageId !== filters.stageId) return false;
    if (filters.ownerId !== undefined && deal.ownerId !== filters.ownerId) return false;
    return true;
  },
});
