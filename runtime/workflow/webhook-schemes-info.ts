import type { WebhookVerifyScheme } from './webhook-trigger-with.ts';

/**
 * What a person and the agent need to know about one `with.verify` scheme: what the sender sends, where its secret
 * comes from, which id dedupes a redelivery, and a delivery shaped like the sender's (for dry runs). The checks
 * themselves are in runtime/triggers/webhook-schemes.ts; docs, dry runs and proposal cards read this table.
 */
export type WebhookSchemeInfo = {
  /** Who signs this way, for people: "Stripe". */
  sender: string;
  /** The headers (or URL) the sender proves itself with. */
  sends: string;
  /** What is signed, with which key. */
  signed: string;
  /**
   * `sender`: the sender generates the secret and you paste it (`vmesh workflows hook-secret ID --set`);
   * `vmesh`: the workflow's own hook secret is given to the sender.
   */
  secretFrom: 'sender' | 'vmesh';
  /** Where the secret is found or set, at the sender. */
  secretAtSender: string;
  /** The id that makes a redelivery start no second run. */
  deliveryId: string;
  /** Where to register the URL at the sender, and which events to pick. */
  register: string;
  /** Words people use for this sender (retrieval). */
  keywords: string;
  /** A delivery as the sender makes it, without its signature: headers (lower case) and JSON body. */
  sample: { headers: Record<string, string>; body: unknown };
};

const MANAGE_SECRET = 'vmesh workflows hook-secret ID --set';
const SHOW_SECRET = "GET /api/workflows/<id> shows it to the workflow's owner";

export const WEBHOOK_SCHEME_INFO: Record<WebhookVerifyScheme, WebhookSchemeInfo> = {
  vmesh: {
    sender: "any HTTP client (VelocityMesh's own scheme, the default)",
    sends:
      '`x-vmesh-timestamp` + `x-vmesh-signature: sha256=<hex>` (recommended), `x-vmesh-signature` alone, or `x-vmesh-secret: <secret>`',
    signed: 'HMAC-SHA256 of `"v1:<timestamp>.<raw body>"` (or of the raw body) with the hook secret',
    secretFrom: 'vmesh',
    secretAtSender: `the workflow's hook secret (${SHOW_SECRET}; rotate with POST /api/workflows/<id>/hook-secret/rotate)`,
    deliveryId: '`x-vmesh-delivery` (or `x-github-delivery`, `webhook-id`, `x-request-id`)',
    register: 'configure the sender to POST JSON to the hook URL with one of the headers above',
    keywords: 'generic webhook, custom sender, shared secret, HMAC signature, curl',
    sample: {
      headers: { 'content-type': 'application/json', 'x-vmesh-delivery': 'dlv_0001' },
      body: { event: 'order.created', order: { id: 'ord_1001', total: 42.5, currency: 'EUR' } },
    },
  },
  github: {
    sender: 'GitHub',
    sends: '`X-Hub-Signature-256: sha256=<hex>`',
    signed: "HMAC-SHA256 of the raw body with the webhook's Secret",
    secretFrom: 'vmesh',
    secretAtSender: `the webhook's *Secret*: the workflow's hook secret (${SHOW_SECRET}), or set your own with \`${MANAGE_SECRET}\``,
    deliveryId: '`X-GitHub-Delivery`',
    register:
      'repository or organisation *Settings → Webhooks → Add webhook*: Payload URL = the hook URL, Content type `application/json`, pick the events to send',
    keywords: 'GitHub webhook signature, X-Hub-Signature-256, repository events, push, issues',
    sample: {
      headers: {
        'content-type': 'application/json',
        'x-github-event': 'push',
        'x-github-delivery': '72d3162e-cc78-11e3-81ab-4c9367dc0958',
      },
      body: {
        ref: 'refs/heads/main',
        repository: { full_name: 'octo-org/hello-world' },
        sender: { login: 'octocat' },
      },
    },
  },
  stripe: {
    sender: 'Stripe',
    sends: '`Stripe-Signature: t=<timestamp>,v1=<hex>[,v1=…]`',
    signed:
      'HMAC-SHA256 of `"<t>.<raw body>"` with the endpoint\'s signing secret (`whsec_…`); `t` within 5 minutes',
    secretFrom: 'sender',
    secretAtSender: `Stripe shows the endpoint's signing secret (\`whsec_…\`) after you add it: paste it with \`${MANAGE_SECRET}\``,
    deliveryId: "the event's `id` in the body (`evt_…`)",
    register:
      'Stripe Dashboard *Developers → Webhooks → Add endpoint*: Endpoint URL = the hook URL, select the events to send',
    keywords: 'Stripe webhook signature, Stripe-Signature, payment events, checkout, invoice paid, whsec',
    sample: {
      headers: {
        'content-type': 'application/json; charset=utf-8',
        'user-agent': 'Stripe/1.0 (+https://stripe.com/docs/webhooks)',
      },
      body: {
        id: 'evt_1NG8Du2eZvKYlo2CUI79vXWy',
        object: 'event',
        type: 'checkout.session.completed',
        created: 1893456000,
        data: {
          object: { id: 'cs_test_a1b2c3', object: 'checkout.session', amount_total: 4250, currency: 'eur' },
        },
      },
    },
  },
  shopify: {
    sender: 'Shopify',
    sends: '`X-Shopify-Hmac-Sha256: <base64>`',
    signed: "HMAC-SHA256 of the raw body with the app's client secret",
    secretFrom: 'sender',
    secretAtSender: `the app's client secret (Shopify Partners / the store's app settings): paste it with \`${MANAGE_SECRET}\``,
    deliveryId: '`X-Shopify-Webhook-Id`',
    register:
      "the app's webhook subscription (or *Settings → Notifications → Webhooks*): URL = the hook URL, pick the topic",
    keywords: 'Shopify webhook HMAC, orders create, store events, X-Shopify-Hmac-Sha256',
    sample: {
      headers: {
        'content-type': 'application/json',
        'x-shopify-topic': 'orders/create',
        'x-shopify-shop-domain': 'example.myshopify.com',
        'x-shopify-webhook-id': 'b54557e4-bdd9-4b37-8a5f-bf7d70bcd043',
      },
      body: { id: 820982911946154500, email: 'jon@example.com', total_price: '42.50', currency: 'EUR' },
    },
  },
  'standard-webhooks': {
    sender: 'a Standard Webhooks sender (Svix, Resend, Clerk, Supabase, …)',
    sends: '`webhook-id`, `webhook-timestamp`, `webhook-signature: v1,<base64>` (a space-separated list)',
    signed:
      'HMAC-SHA256 of `"<webhook-id>.<webhook-timestamp>.<raw body>"`, the key being the base64 secret after `whsec_`; timestamp within 5 minutes',
    secretFrom: 'sender',
    secretAtSender: `the sender shows the endpoint's signing secret (\`whsec_…\`): paste it with \`${MANAGE_SECRET}\``,
    deliveryId: '`webhook-id`',
    register: "the sender's webhook or endpoint settings: URL = the hook URL, pick the event types",
    keywords: 'Standard Webhooks signature, Svix, Resend, Clerk, webhook-id webhook-signature',
    sample: {
      headers: {
        'content-type': 'application/json',
        'webhook-id': 'msg_2KWPBgLlAfxdpx2AI54pPJ85f4W',
        'webhook-timestamp': '1893456000',
      },
      body: {
        type: 'user.created',
        timestamp: '2030-01-01T00:00:00.000Z',
        data: { id: 'user_29w83sxmDNGwOuEthce5gg56FcC' },
      },
    },
  },
  slack: {
    sender: "Slack (a Slack app's Events API or interactivity)",
    sends: '`X-Slack-Request-Timestamp` + `X-Slack-Signature: v0=<hex>`',
    signed:
      'HMAC-SHA256 of `"v0:<timestamp>:<raw body>"` with the app\'s signing secret; timestamp within 5 minutes',
    secretFrom: 'sender',
    secretAtSender: `the app's *Basic Information → Signing Secret*: paste it with \`${MANAGE_SECRET}\``,
    deliveryId: "the body's `event_id` (else a hash of the raw body)",
    register: "the app's *Event Subscriptions*: Request URL = the hook URL, subscribe to the bot events",
    keywords: 'Slack Events API request signature, signing secret, X-Slack-Signature, own Slack app',
    sample: {
      headers: { 'content-type': 'application/json', 'x-slack-request-timestamp': '1893456000' },
      body: {
        type: 'event_callback',
        team_id: 'T0001',
        event_id: 'Ev08MFMKH6',
        event: {
          type: 'app_mention',
          user: 'U2147483697',
          text: '<@U0LAN0Z89> is it everything?',
          channel: 'C2147483705',
        },
      },
    },
  },
  typeform: {
    sender: 'Typeform',
    sends: '`Typeform-Signature: sha256=<base64>`',
    signed: "HMAC-SHA256 of the raw body with the webhook's secret",
    secretFrom: 'vmesh',
    secretAtSender: `the webhook's *Secret* field (you choose it): use the hook secret (${SHOW_SECRET}), or set the one you typed with \`${MANAGE_SECRET}\``,
    deliveryId: "the body's `event_id`",
    register: "the form's *Connect → Webhooks → Add a webhook*: Endpoint = the hook URL",
    keywords: 'Typeform form response webhook signature, form submitted, survey answers',
    sample: {
      headers: { 'content-type': 'application/json' },
      body: {
        event_id: '01GWT8PAHJNR5NQB2Z3P4PQM3V',
        event_type: 'form_response',
        form_response: {
          form_id: 'lT4Z3j',
          submitted_at: '2030-01-01T09:00:00Z',
          answers: [{ type: 'email', email: 'ada@example.com' }],
        },
      },
    },
  },
  linear: {
    sender: 'Linear',
    sends: '`Linear-Signature: <hex>`',
    signed: "HMAC-SHA256 of the raw body with the webhook's signing secret",
    secretFrom: 'sender',
    secretAtSender: `Linear shows the webhook's signing secret once it is created: paste it with \`${MANAGE_SECRET}\``,
    deliveryId: '`Linear-Delivery`',
    register: '*Settings → API → Webhooks → New webhook*: URL = the hook URL, pick the data change events',
    keywords: 'Linear issue webhook signature, Linear-Signature, project tracker events',
    sample: {
      headers: {
        'content-type': 'application/json',
        'linear-delivery': '234d1a4e-b617-4388-90fe-adc3633d6b72',
        'linear-event': 'Issue',
      },
      body: {
        action: 'create',
        type: 'Issue',
        data: { id: '2174add1-f7c8-44e3-bbf3-2d60b5ea8bc9', title: 'Checkout fails', priority: 1 },
        webhookTimestamp: 1893456000000,
      },
    },
  },
  twilio: {
    sender: 'Twilio',
    sends: '`X-Twilio-Signature: <base64>`',
    signed:
      'HMAC-SHA1 with the auth token of the URL Twilio called (VMESH_PUBLIC_URL + `/hooks/<id>` and the query) then each form parameter sorted by name',
    secretFrom: 'sender',
    secretAtSender: `the account's *Auth Token* (Twilio Console): paste it with \`${MANAGE_SECRET}\`; VMESH_PUBLIC_URL must be the URL Twilio calls`,
    deliveryId: '`I-Twilio-Idempotency-Token`',
    register:
      'the phone number\'s *Messaging* (or *Voice*) configuration: "A message comes in" webhook = the hook URL, HTTP POST',
    keywords: 'Twilio SMS incoming message webhook signature, X-Twilio-Signature, phone call',
    sample: {
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'i-twilio-idempotency-token': '4e7c2b1a-6f0d-4a8e-9b3c-2d5e8f1a7c60',
      },
      // A form body is not JSON: trigger.body is its text.
      body: 'MessageSid=SM0123456789abcdef&From=%2B15005550006&To=%2B15005550001&Body=Hello',
    },
  },
  hmac: {
    sender: 'any sender that signs the raw body with an HMAC in a header of its own',
    sends: 'the header `with.header` (optionally starting with `with.prefix`)',
    signed:
      'HMAC (`with.algorithm`: sha1, sha256 (default), sha512) of the raw body with the hook secret, `with.encoding` hex (default) or base64',
    secretFrom: 'sender',
    secretAtSender: `the sender's signing secret: paste it with \`${MANAGE_SECRET}\` (or give the sender the hook secret: ${SHOW_SECRET})`,
    deliveryId: 'the `vmesh` headers (`x-vmesh-delivery`, `webhook-id`, `x-request-id`)',
    register: "the sender's webhook settings: URL = the hook URL",
    keywords: 'custom HMAC signature header, sha1 sha256 sha512, hex base64, prefix, any vendor',
    sample: {
      headers: { 'content-type': 'application/json', 'x-request-id': 'req_0001' },
      body: { event: 'item.updated', item: { id: 'itm_1', status: 'done' } },
    },
  },
  token: {
    sender: 'a sender that cannot sign or set headers (the secret is in the URL)',
    sends: "nothing: the secret is the URL's last segment, `POST /hooks/<workflow id>/<hook secret>`",
    signed: 'nothing signed: the URL token is compared with the hook secret in constant time',
    secretFrom: 'vmesh',
    secretAtSender: `part of the URL: the workflow's hook secret (${SHOW_SECRET})`,
    deliveryId: 'the `vmesh` headers (`x-vmesh-delivery`, `webhook-id`, `x-request-id`)',
    register:
      "the sender's webhook settings: URL = the hook URL with the secret as last segment (it ends up in the sender's logs: prefer a signing scheme when the sender offers one)",
    keywords: 'secret token in the URL, no signature, no custom headers, IFTTT, Zapier, simple callback',
    sample: {
      headers: { 'content-type': 'application/json' },
      body: { event: 'ping', at: '2030-01-01T09:00:00Z' },
    },
  },
};
