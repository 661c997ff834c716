import { z } from 'zod';
import type {
  ConnectorDefinition,
  WebhookDelivery,
  WebhookHandshake,
  WebhookTriggerDefinition,
} from '../../connectors/index.ts';
import type { WorkflowDocument } from '../workflow/document.ts';
import { findWebhookTrigger, passesFilters } from './connector-triggers.ts';
import {
  checkSchemeSignature,
  schemeDeliveryId,
  signatureHeaders,
  WebhookTriggerWith,
} from './webhook-schemes.ts';
import { checkHookSignature, type HookVerdict } from './webhook-verify.ts';

/** One request to `POST /hooks/:workflowId[/:token]`; header names are lower case. */
export type HookRequest = WebhookDelivery & {
  method: string;
  query: unknown;
  headers: Record<string, string | string[] | undefined>;
  /** The `:token` of `POST /hooks/:workflowId/:token` (only the `token` scheme takes one). */
  pathToken?: string | undefined;
  /** The public URL the request was addressed to (public base URL + path and query as received). */
  url?: string | undefined;
};

/** What a verified delivery becomes: a run's trigger data, or a reason it starts no run (answered 200). */
export type HookAcceptance =
  | { start: true; data: unknown; triggerType: string; deliveryId: string | undefined }
  | { start: false; reason: string };

/** How a workflow's trigger takes deliveries to its hook URL: which signatures prove the secret, what data runs get. */
export type HookReceiver = {
  /** Whether the hook secret may come as the URL's last segment (`verify: "token"`); others answer such a URL 404. */
  takesPathToken?: boolean;
  verify(secrets: readonly string[], request: HookRequest): HookVerdict;
  accept(request: HookRequest, document: WorkflowDocument): HookAcceptance;
  /** The answer the sender expects instead of 202 { runId } / 200 { ignored } (a connector trigger's `reply`). */
  reply?: { contentType: string; body: string } | undefined;
  /** A subscription handshake instead of an event (see WebhookTriggerDefinition.handshake). */
  handshake?(request: HookRequest): WebhookHandshake | undefined;
};

/** Headers that carry a delivery id: the same id within 24 h starts one run. */
const DELIVERY_HEADERS = ['x-vmesh-delivery', 'x-github-delivery', 'webhook-id', 'x-request-id'] as const;
const HIDDEN_HEADERS = new Set([
  'x-vmesh-secret',
  'x-vmesh-signature',
  'authorization',
  'cookie',
  'proxy-authorization',
]);
const SlackEnvelope = z.object({ event_id: z.string().min(1).max(200) });

function genericDeliveryId(request: HookRequest): string | undefined {
  for (const name of DELIVERY_HEADERS) {
    const value = request.headers[name];
    if (typeof value === 'string' && value.length > 0 && value.length <= 200) return value;
  }
  const slack = SlackEnvelope.safeParse(request.body);
  return slack.success ? slack.data.event_id : undefined;
}

function requestData(request: HookRequest, hidden: readonly string[] = []): unknown {
  const headers = Object.fromEntries(
    Object.entries(request.headers).filter(([name]) => !HIDDEN_HEADERS.has(name) && !hidden.includes(name)),
  );
  return { method: request.method, headers, query: request.query ?? {}, body: request.body };
}

/**
 * The core `webhook` trigger (and every trigger that is not a connector webhook, as before): x-vmesh-secret or
 * x-vmesh-signature, and the request itself as trigger data.
 */
export const coreHookReceiver: HookReceiver = {
  verify: (secrets, request) => checkHookSignature(secrets, request.headers, request.rawBody),
  accept: (request) => ({
    start: true,
    data: requestData(request),
    triggerType: 'webhook',
    deliveryId: genericDeliveryId(request),
  }),
};

/** The core `webhook` trigger with `with.verify` naming a sender's scheme (stripe, slack, token, …). */
export function schemeHookReceiver(options: WebhookTriggerWith): HookReceiver {
  const scheme = options.verify;
  if (scheme === undefined || scheme === 'vmesh') return coreHookReceiver;
  const hidden = signatureHeaders(options);
  return {
    takesPathToken: scheme === 'token',
    verify: (secrets, request) => checkSchemeSignature({ ...options, verify: scheme }, secrets, request),
    accept: (request) => ({
      start: true,
      data: requestData(request, hidden),
      triggerType: 'webhook',
      deliveryId: schemeDeliveryId(scheme, request) ?? genericDeliveryId(request),
    }),
  };
}

const WRONG_SIGNATURE: HookVerdict = {
  ok: false,
  code: 'E_UNAUTHORIZED',
  message: "The delivery's signature does not match this workflow's hook secret.",
  hint: 'Set the webhook\'s secret at the sender to the hook secret shown by GET /api/workflows/:id (e.g. GitHub\'s webhook "Secret" field).',
};

/** A connector's webhook trigger (e.g. github.issueOpened): its own signature check, parse and filters. */
export function connectorHookReceiver(type: string, trigger: WebhookTriggerDefinition): HookReceiver {
  const { handshake } = trigger;
  return {
    reply: trigger.reply,
    ...(handshake ? { handshake: (request: HookRequest) => handshake(request) } : {}),
    verify: (secrets, request) =>
      secrets.some((secret) => trigger.verify(request, secret)) ? { ok: true } : WRONG_SIGNATURE,
    accept(request, document) {
      const data = trigger.parse(request);
      if (data === undefined) return { start: false, reason: `${type} does not start on this delivery.` };
      if (!passesFilters(trigger, document.trigger.with, data))
        return { start: false, reason: `The delivery does not pass this workflow's trigger.with filters.` };
      return {
        start: true,
        data,
        triggerType: type,
        deliveryId: trigger.deliveryId?.(request) ?? genericDeliveryId(request),
      };
    },
  };
}

/** The receiver for a workflow's trigger: a connector's webhook trigger, or the core one in its `with.verify` scheme. */
export function hookReceiverFor(
  connectors: readonly ConnectorDefinition[],
  trigger: { type: string; with?: unknown },
): HookReceiver {
  const connectorTrigger = findWebhookTrigger(connectors, trigger.type);
  if (connectorTrigger) return connectorHookReceiver(trigger.type, connectorTrigger);
  if (trigger.type !== 'webhook') return coreHookReceiver;
  const options = WebhookTriggerWith.safeParse(trigger.with ?? {});
  // A stored document always validated; one that somehow does not verifies nothing rather than falling back.
  return options.success ? schemeHookReceiver(options.data) : refusingHookReceiver;
}

const refusingHookReceiver: HookReceiver = {
  verify: () => ({
    ok: false,
    code: 'E_UNAUTHORIZED',
    message: "This workflow's trigger.with.verify is not valid, so no delivery can be verified.",
    hint: 'Fix trigger.with (vmesh validate) and save the workflow again.',
  }),
  accept: () => ({ start: false, reason: 'unreachable' }),
};
