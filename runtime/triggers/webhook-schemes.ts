import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { verifyGithubSignature } from '../../connectors/index.ts';
import type { WebhookTriggerWith, WebhookVerifyScheme } from '../workflow/webhook-trigger-with.ts';
import { type HookVerdict, SIGNATURE_WINDOW_SECONDS } from './webhook-verify.ts';

export {
  WEBHOOK_VERIFY_SCHEMES,
  WebhookTriggerWith,
  type WebhookVerifyScheme,
} from '../workflow/webhook-trigger-with.ts';

/** What a scheme needs from a delivery: header names are lower case; `pathToken` is /hooks/:id/:token's token. */
export type SchemeRequest = {
  headers: Record<string, string | string[] | undefined>;
  rawBody: Buffer;
  pathToken?: string | undefined;
  /** The public URL the sender addressed (needed by verify "twilio", which signs it). */
  url?: string | undefined;
};

/** One scheme's check of one secret: true/false, or a verdict of its own (a stale or malformed timestamp). */
type SecretCheck = (secret: string, request: SchemeRequest, nowMs: number) => boolean | HookVerdict;

function header(request: SchemeRequest, name: string): string | undefined {
  const value = request.headers[name];
  return typeof value === 'string' ? value : undefined;
}

function sameBytes(left: Buffer, right: Buffer): boolean {
  return left.length === right.length && timingSafeEqual(left, right);
}

function mac(algorithm: string, key: string | Buffer, parts: readonly (string | Buffer)[]): Buffer {
  const hmac = createHmac(algorithm, key);
  for (const part of parts) hmac.update(part);
  return hmac.digest();
}

function unauthorized(message: string, hint: string): HookVerdict {
  return { ok: false, code: 'E_UNAUTHORIZED', message, hint };
}

/** A timestamp (Unix seconds) within SIGNATURE_WINDOW_SECONDS of now, or why not. */
function checkTimestamp(name: string, value: string | undefined, nowMs: number): HookVerdict {
  if (value === undefined || !/^\d{1,12}$/.test(value)) {
    return unauthorized(
      `${name} is missing or not a whole number of seconds since 1970.`,
      `Send ${name} as the sender signs it.`,
    );
  }
  const skew = Math.floor(nowMs / 1000) - Number(value);
  if (Math.abs(skew) <= SIGNATURE_WINDOW_SECONDS) return { ok: true };
  return {
    ok: false,
    code: 'E_STALE_SIGNATURE',
    message: `${name} is ${Math.abs(skew)} s ${skew > 0 ? 'old' : 'in the future'}; signatures are accepted for ${SIGNATURE_WINDOW_SECONDS} s.`,
    hint: "Deliver each request when it is signed, with the sender's clock in sync.",
  };
}

/** `Stripe-Signature: t=<ts>,v1=<hex>[,v1=<hex>…]`: HMAC-SHA256 of "<ts>.<body>" with the endpoint secret (whsec_…). */
const stripe: SecretCheck = (secret, request, nowMs) => {
  const fields = (header(request, 'stripe-signature') ?? '').split(',').map((part) => part.trim().split('='));
  const timestamp = fields.find(([key]) => key === 't')?.[1];
  const fresh = checkTimestamp('The Stripe-Signature timestamp (t=)', timestamp, nowMs);
  if (!fresh.ok) return fresh;
  const expected = mac('sha256', secret, [`${timestamp}.`, request.rawBody]);
  return fields.some(
    ([key, value]) =>
      key === 'v1' &&
      /^[0-9a-f]{64}$/i.test(value ?? '') &&
      sameBytes(Buffer.from(value ?? '', 'hex'), expected),
  );
};

/** `X-Shopify-Hmac-Sha256: <base64 HMAC-SHA256 of the body>` with the app's client secret. */
const shopify: SecretCheck = (secret, request) => {
  const given = header(request, 'x-shopify-hmac-sha256');
  if (!given || !/^[A-Za-z0-9+/]{43}=$/.test(given.trim())) return false;
  return sameBytes(Buffer.from(given.trim(), 'base64'), mac('sha256', secret, [request.rawBody]));
};

/**
 * Standard Webhooks: `webhook-signature: v1,<base64>` (a space-separated list) of HMAC-SHA256 over
 * "<webhook-id>.<webhook-timestamp>.<body>"; the key is the base64-decoded secret (after `whsec_`, if it has one).
 */
const standardWebhooks: SecretCheck = (secret, request, nowMs) => {
  const id = header(request, 'webhook-id');
  const timestamp = header(request, 'webhook-timestamp');
  if (!id) return unauthorized('webhook-id is missing.', 'Send the webhook-id header the sender signed.');
  const fresh = checkTimestamp('webhook-timestamp', timestamp, nowMs);
  if (!fresh.ok) return fresh;
  // As the spec's reference libraries: the key is the base64 secret, with or without its whsec_ prefix.
  const key = Buffer.from(secret.startsWith('whsec_') ? secret.slice(6) : secret, 'base64');
  if (key.length === 0) return false;
  const expected = mac('sha256', key, [`${id}.${timestamp}.`, request.rawBody]);
  return (header(request, 'webhook-signature') ?? '').split(' ').some((entry) => {
    const [version, signature] = entry.split(',', 2);
    return (
      version === 'v1' &&
      signature !== undefined &&
      /^[A-Za-z0-9+/]+={0,2}$/.test(signature) &&
      sameBytes(Buffer.from(signature, 'base64'), expected)
    );
  });
};

/** Slack: `X-Slack-Signature: v0=<hex HMAC-SHA256 of "v0:<X-Slack-Request-Timestamp>:<body>">` with the signing secret. */
const slack: SecretCheck = (secret, request, nowMs) => {
  const timestamp = header(request, 'x-slack-request-timestamp');
  const fresh = checkTimestamp('X-Slack-Request-Timestamp', timestamp, nowMs);
  if (!fresh.ok) return fresh;
  const match = /^v0=([0-9a-f]{64})$/i.exec(header(request, 'x-slack-signature') ?? '');
  if (!match?.[1]) return false;
  return sameBytes(
    Buffer.from(match[1], 'hex'),
    mac('sha256', secret, [`v0:${timestamp}:`, request.rawBody]),
  );
};

/** Typeform: `Typeform-Signature: sha256=<base64 HMAC-SHA256 of the body>` with the webhook's secret. */
const typeform: SecretCheck = (secret, request) => {
  const match = /^sha256=([A-Za-z0-9+/]{43}=)$/.exec(header(request, 'typeform-signature')?.trim() ?? '');
  if (!match?.[1]) return false;
  return sameBytes(Buffer.from(match[1], 'base64'), mac('sha256', secret, [request.rawBody]));
};

/** Linear: `Linear-Signature: <hex HMAC-SHA256 of the body>` with the webhook's signing secret. */
const linear: SecretCheck = (secret, request) => {
  const given = header(request, 'linear-signature')?.trim() ?? '';
  if (!/^[0-9a-f]{64}$/i.test(given)) return false;
  return sameBytes(Buffer.from(given, 'hex'), mac('sha256', secret, [request.rawBody]));
};

/**
 * Twilio: `X-Twilio-Signature: <base64 HMAC-SHA1>` with the account's auth token over the URL Twilio called followed
 * by each form parameter, sorted by name, as name then value. A JSON body is covered by the URL's `bodySHA256`.
 */
const twilio: SecretCheck = (secret, request) => {
  const given = header(request, 'x-twilio-signature')?.trim() ?? '';
  if (!request.url || !/^[A-Za-z0-9+/]{27}=$/.test(given)) return false;
  let signed = request.url;
  const contentType = header(request, 'content-type') ?? '';
  if (contentType.startsWith('application/x-www-form-urlencoded')) {
    const params = [...new URLSearchParams(request.rawBody.toString('utf8'))];
    params.sort(([left], [right]) => (left < right ? -1 : left > right ? 1 : 0));
    for (const [name, value] of params) signed += `${name}${value}`;
  } else if (request.rawBody.length > 0) {
    const bodyHash = new URL(request.url).searchParams.get('bodySHA256') ?? '';
    const actual = createHash('sha256').update(request.rawBody).digest('hex');
    if (!sameBytes(Buffer.from(bodyHash), Buffer.from(actual))) return false;
  }
  return sameBytes(Buffer.from(given, 'base64'), mac('sha1', secret, [signed]));
};

/** A generic HMAC of the raw body in `with.header`, `with.encoding` (hex or base64), after `with.prefix`. */
function genericHmac(options: WebhookTriggerWith): SecretCheck {
  const name = (options.header ?? '').toLowerCase();
  const algorithm = options.algorithm ?? 'sha256';
  const encoding = options.encoding ?? 'hex';
  const prefix = options.prefix ?? '';
  return (secret, request) => {
    const given = header(request, name)?.trim();
    if (!given?.startsWith(prefix)) return false;
    const value = given.slice(prefix.length);
    const valid = encoding === 'hex' ? /^[0-9a-f]+$/i.test(value) : /^[A-Za-z0-9+/]+={0,2}$/.test(value);
    return valid && sameBytes(Buffer.from(value, encoding), mac(algorithm, secret, [request.rawBody]));
  };
}

/** The hook secret as the last segment of the URL: POST /hooks/:workflowId/:token. */
const token: SecretCheck = (secret, request) =>
  request.pathToken !== undefined && sameBytes(Buffer.from(request.pathToken), Buffer.from(secret));

const github: SecretCheck = (secret, request) =>
  verifyGithubSignature(request.rawBody, header(request, 'x-hub-signature-256'), secret);

const HINTS: Record<Exclude<WebhookVerifyScheme, 'vmesh'>, string> = {
  github: 'Set the GitHub webhook\'s "Secret" to the hook secret; GitHub signs X-Hub-Signature-256 with it.',
  stripe:
    "Set the workflow's hook secret to the endpoint's signing secret (whsec_…): vmesh workflows hook-secret ID --set.",
  shopify: "Set the workflow's hook secret to the app's client secret: vmesh workflows hook-secret ID --set.",
  'standard-webhooks':
    "Set the workflow's hook secret to the sender's signing secret (whsec_…): vmesh workflows hook-secret ID --set.",
  slack:
    "Set the workflow's hook secret to the Slack app's signing secret: vmesh workflows hook-secret ID --set.",
  typeform:
    "Set the workflow's hook secret to the Typeform webhook's secret: vmesh workflows hook-secret ID --set.",
  twilio:
    "Set the workflow's hook secret to the Twilio auth token, and the server's public URL (VMESH_PUBLIC_URL) to the URL Twilio calls.",
  linear:
    "Set the workflow's hook secret to the Linear webhook's signing secret: vmesh workflows hook-secret ID --set.",
  hmac: "Sign the raw body with the workflow's hook secret as with.header, with.algorithm and with.encoding say.",
  token: 'Deliver to POST /hooks/:workflowId/:token with the hook secret as the token.',
};

/** The headers a scheme's signature travels in: never part of a run's trigger data. */
export function signatureHeaders(options: WebhookTriggerWith): string[] {
  switch (options.verify) {
    case 'github':
      return ['x-hub-signature-256', 'x-hub-signature'];
    case 'stripe':
      return ['stripe-signature'];
    case 'shopify':
      return ['x-shopify-hmac-sha256'];
    case 'standard-webhooks':
      return ['webhook-signature'];
    case 'slack':
      return ['x-slack-signature'];
    case 'typeform':
      return ['typeform-signature'];
    case 'linear':
      return ['linear-signature'];
    case 'twilio':
      return ['x-twilio-signature'];
    case 'hmac':
      return [(options.header ?? '').toLowerCase()];
    default:
      return [];
  }
}

/**
 * Checks a delivery in the sender's scheme against each valid secret (the current one, plus the previous one while a
 * rotation's grace lasts). A stale timestamp is answered as such; anything else that fails is E_UNAUTHORIZED.
 */
export function checkSchemeSignature(
  options: WebhookTriggerWith & { verify: Exclude<WebhookVerifyScheme, 'vmesh'> },
  secrets: readonly string[],
  request: SchemeRequest,
  nowMs: number = Date.now(),
): HookVerdict {
  const scheme = options.verify;
  const check: SecretCheck =
    scheme === 'github'
      ? github
      : scheme === 'stripe'
        ? stripe
        : scheme === 'shopify'
          ? shopify
          : scheme === 'standard-webhooks'
            ? standardWebhooks
            : scheme === 'slack'
              ? slack
              : scheme === 'typeform'
                ? typeform
                : scheme === 'linear'
                  ? linear
                  : scheme === 'twilio'
                    ? twilio
                    : scheme === 'hmac'
                      ? genericHmac(options)
                      : token;
  for (const secret of secrets) {
    if (secret.length === 0) continue;
    const result = check(secret, request, nowMs);
    if (result === true) return { ok: true };
    if (typeof result === 'object') return result;
  }
  return unauthorized(
    `The delivery's ${scheme} signature does not match this workflow's hook secret.`,
    HINTS[scheme],
  );
}

const StripeEvent = z.object({ id: z.string().min(1).max(200) });
const SlackEnvelope = z.object({ event_id: z.string().min(1).max(200) });
const TypeformEvent = z.object({ event_id: z.string().min(1).max(200) });

function bounded(value: string | undefined): string | undefined {
  return value && value.length <= 200 ? value : undefined;
}

/** The id that makes a redelivery start no second run, in the scheme's own terms (undefined: every delivery runs). */
export function schemeDeliveryId(
  scheme: Exclude<WebhookVerifyScheme, 'vmesh'>,
  request: SchemeRequest & { body: unknown },
): string | undefined {
  switch (scheme) {
    case 'github':
      return bounded(header(request, 'x-github-delivery'));
    case 'stripe': {
      const event = StripeEvent.safeParse(request.body);
      return event.success ? `stripe:${event.data.id}` : undefined;
    }
    case 'shopify':
      return bounded(header(request, 'x-shopify-webhook-id'));
    case 'standard-webhooks':
      return bounded(header(request, 'webhook-id'));
    case 'slack': {
      const envelope = SlackEnvelope.safeParse(request.body);
      return envelope.success
        ? `slack:${envelope.data.event_id}`
        : `slack-body:${createHash('sha256').update(request.rawBody).digest('hex')}`;
    }
    case 'typeform': {
      const event = TypeformEvent.safeParse(request.body);
      return event.success ? `typeform:${event.data.event_id}` : undefined;
    }
    case 'linear':
      return bounded(header(request, 'linear-delivery'));
    case 'twilio':
      return bounded(header(request, 'i-twilio-idempotency-token'));
    default:
      return undefined;
  }
}
