import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { defineTrigger, type WebhookDelivery } from '../../sdk/define.ts';

const MESSAGE_TYPES = [
  'text',
  'image',
  'document',
  'audio',
  'video',
  'sticker',
  'location',
  'button',
  'interactive',
] as const;

export const MessageFilters = z.strictObject({
  phoneNumberId: z
    .string()
    .regex(/^\d{5,20}$/, 'a numeric Phone number ID')
    .optional()
    .describe(
      'Only messages to this one of your numbers (its Phone number ID). Default: every number of the app.',
    ),
  types: z
    .array(z.enum(MESSAGE_TYPES))
    .max(MESSAGE_TYPES.length)
    .optional()
    .describe('Only these message types, e.g. ["text", "button"]. Default: all.'),
});
export type MessageFilters = z.infer<typeof MessageFilters>;

export const MessageData = z.object({
  messageId: z.string().describe('WhatsApp’s id of the message (wamid…): give it as replyTo to quote it.'),
  from: z.string().describe('The sender’s WhatsApp number (wa_id, digits with country code): answer to it.'),
  profileName: z.string().nullable().describe('The sender’s WhatsApp profile name, or null.'),
  phoneNumberId: z.string().describe('Your number’s Phone number ID it arrived at.'),
  displayPhoneNumber: z.string().describe('Your number as shown, e.g. "15550783881".'),
  type: z.string().describe('text, image, document, audio, video, sticker, location, button, interactive, …'),
  text: z
    .string()
    .describe('The text; a caption, a button’s text or a list choice’s title for other types; else "".'),
  buttonPayload: z
    .string()
    .nullable()
    .describe('The payload or id of the pressed button / list row, or null.'),
  mediaId: z.string().nullable().describe('The media id of an image, document, audio or video, or null.'),
  mimeType: z.string().nullable().describe('The media’s MIME type, or null.'),
  replyToMessageId: z.string().nullable().describe('The message it replies to, or null.'),
  timestamp: z.string().describe('When it was sent (ISO).'),
});
export type MessageData = z.infer<typeof MessageData>;

const Media = z
  .object({ id: z.string(), mime_type: z.string().optional(), caption: z.string().optional() })
  .loose();
const Message = z
  .object({
    from: z.string().max(32),
    id: z.string().max(200),
    timestamp: z.string().regex(/^\d{1,12}$/),
    type: z.string().max(40),
    text: z.object({ body: z.string() }).optional(),
    image: Media.optional(),
    document: Media.optional(),
    audio: Media.optional(),
    video: Media.optional(),
    sticker: Media.optional(),
    button: z.object({ text: z.string().optional(), payload: z.string().optional() }).optional(),
    interactive: z
      .object({
        button_reply: z.object({ id: z.string(), title: z.string() }).optional(),
        list_reply: z.object({ id: z.string(), title: z.string() }).optional(),
      })
      .loose()
      .optional(),
    context: z.object({ id: z.string().optional() }).loose().optional(),
  })
  .loose();
const Notification = z.object({
  object: z.literal('whatsapp_business_account'),
  entry: z
    .array(
      z.object({
        changes: z
          .array(
            z.object({
              field: z.string(),
              value: z
                .object({
                  metadata: z.object({ display_phone_number: z.string(), phone_number_id: z.string() }),
                  contacts: z
                    .array(
                      z
                        .object({ wa_id: z.string(), profile: z.object({ name: z.string() }).optional() })
                        .loose(),
                    )
                    .max(50)
                    .optional(),
                  messages: z.array(z.unknown()).max(50).optional(),
                })
                .loose(),
            }),
          )
          .max(50),
      }),
    )
    .max(50),
});

const MAX_TEXT = 8_192;

/**
 * Trigger data from a Cloud API `messages` notification: the first message in it (Meta sends one per request in
 * practice); undefined for status updates (sent, delivered, read) and other fields.
 */
export function parseWhatsappNotification(body: unknown): MessageData | undefined {
  const notification = Notification.safeParse(body);
  if (!notification.success) return undefined;
  for (const entry of notification.data.entry) {
    for (const change of entry.changes) {
      if (change.field !== 'messages') continue;
      const { metadata, contacts, messages } = change.value;
      for (const raw of messages ?? []) {
        const message = Message.safeParse(raw);
        if (!message.success) continue;
        const m = message.data;
        const media = m.image ?? m.document ?? m.audio ?? m.video ?? m.sticker;
        const reply = m.interactive?.button_reply ?? m.interactive?.list_reply;
        const text = m.text?.body ?? media?.caption ?? m.button?.text ?? reply?.title ?? '';
        return {
          messageId: m.id,
          from: m.from,
          profileName: contacts?.find((contact) => contact.wa_id === m.from)?.profile?.name ?? null,
          phoneNumberId: metadata.phone_number_id,
          displayPhoneNumber: metadata.display_phone_number,
          type: m.type,
          text: text.slice(0, MAX_TEXT),
          buttonPayload: m.button?.payload ?? reply?.id ?? null,
          mediaId: media?.id ?? null,
          mimeType: media?.mime_type ?? null,
          replyToMessageId: m.context?.id ?? null,
          timestamp: new Date(Number(m.timestamp) * 1000).toISOString(),
        };
      }
    }
  }
  return undefined;
}

/** `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw body>` with the Meta app's secret. */
export function verifyMetaSignature(rawBody: Buffer, header: string | undefined, appSecret: string): boolean {
  const match = /^sha256=([0-9a-f]{64})$/i.exec(header?.trim() ?? '');
  if (!match?.[1] || appSecret.length === 0) return false;
  const given = Buffer.from(match[1], 'hex');
  const expected = createHmac('sha256', appSecret).update(rawBody).digest();
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/**
 * The verify token to type into Meta's webhook setup: derived from the workflow's hook secret (the app secret), so it
 * is never written in the workflow and tells nothing about the secret:
 * `printf %s whatsapp-verify-token | openssl dgst -sha256 -hmac '<app secret>'`, its first 32 hex characters.
 */
export function whatsappVerifyToken(hookSecret: string): string {
  return createHmac('sha256', hookSecret).update('whatsapp-verify-token').digest('hex').slice(0, 32);
}

function sameText(left: string, right: string): boolean {
  const a = Buffer.from(left);
  const b = Buffer.from(right);
  return a.length === b.length && timingSafeEqual(a, b);
}

function signatureOf(delivery: WebhookDelivery): string | undefined {
  const value = delivery.headers['x-hub-signature-256'];
  return typeof value === 'string' ? value : undefined;
}

export const message = defineTrigger({
  key: 'message',
  title: 'WhatsApp message to your business number',
  description:
    'Starts the workflow for each message people send to your WhatsApp Business number (Cloud API webhook): answers Meta’s verify-token check of the URL and checks X-Hub-Signature-256 with the app secret.',
  kind: 'webhook',
  with: MessageFilters,
  data: MessageData,
  senderEvents: ['messages'],
  sample: {
    messageId: 'wamid.HBgLMTQxNTU1NTAxMDAVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA=',
    from: '14155550100',
    profileName: 'Ana',
    phoneNumberId: '106540352242922',
    displayPhoneNumber: '15550783881',
    type: 'text',
    text: 'Where is my order 1042?',
    buttonPayload: null,
    mediaId: null,
    mimeType: null,
    replyToMessageId: null,
    timestamp: '2026-12-04T09:30:00.000Z',
  } satisfies MessageData,
  challenge(request, _filters, secrets) {
    const { 'hub.mode': mode, 'hub.verify_token': token, 'hub.challenge': challenge } = request.query;
    if (mode !== 'subscribe' || token === undefined || challenge === undefined) return undefined;
    if (!/^[A-Za-z0-9_-]{1,200}$/.test(challenge)) return undefined;
    const known = secrets.some((secret) => secret.length > 0 && sameText(token, whatsappVerifyToken(secret)));
    return known ? challenge : undefined;
  },
  verify: (delivery, secret) => verifyMetaSignature(delivery.rawBody, signatureOf(delivery), secret),
  deliveryId(delivery) {
    const data = parseWhatsappNotification(delivery.body);
    return data ? `whatsapp:${data.messageId}` : undefined;
  },
  parse: (delivery) => parseWhatsappNotification(delivery.body),
  matches(filters, data) {
    const parsed = MessageData.safeParse(data);
    if (!parsed.success) return false;
    if (filters.phoneNumberId !== undefined && filters.phoneNumberId !== parsed.data.phoneNumberId)
      return false;
    if (filters.types && !filters.types.some((type) => type === parsed.data.type)) return false;
    return true;
  },
});
