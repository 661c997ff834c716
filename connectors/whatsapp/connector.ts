import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { authorizationWireSecrets } from '../sdk/credential-secrets.ts';
import { defineConnector } from '../sdk/define.ts';
import { createRestClient, type RestClient } from '../sdk/rest/index.ts';
import { sendMedia } from './actions/send-media.ts';
import { sendTemplate } from './actions/send-template.ts';
import { sendText } from './actions/send-text.ts';
import { phoneNumberScoped, WhatsappCredential, whatsappApi } from './client.ts';
import { message } from './triggers/message.ts';

export const whatsappConnector = defineConnector<WhatsappCredential, RestClient>({
  id: 'whatsapp',
  version: '1.0.0',
  title: 'WhatsApp',
  description:
    'Send WhatsApp text, template and media messages from your business number (WhatsApp Cloud API) and start workflows on incoming messages.',
  credential: {
    type: 'whatsapp',
    schema: WhatsappCredential,
    howToGet:
      'In Meta for Developers, your app → WhatsApp → API Setup shows the Phone number ID; make a permanent token in Business Settings → System users (permission whatsapp_business_messaging). Then `vmesh credentials set whatsapp --type whatsapp` with {"accessToken":"EAA…","phoneNumberId":"1065…"}.',
    wireSecrets: (credential: WhatsappCredential) =>
      authorizationWireSecrets(credential.accessToken, ['Bearer']),
    publicFields: ['phoneNumberId'],
  },
  // The Cloud API sends up to 80 messages per second per business number by default.
  rateLimit: { requests: 80, perSeconds: 1, burst: 80 },
  createClient: ({ credential, env }) =>
    phoneNumberScoped(createRestClient(whatsappApi, { credential, env }), credential?.phoneNumberId),
  async testCredential({ client, signal }) {
    const number = z
      .object({ display_phone_number: z.string(), verified_name: z.string().optional() })
      .loose()
      .parse(
        (
          await client.send(
            { method: 'GET', path: '', query: { fields: 'display_phone_number,verified_name' } },
            signal,
          )
        ).body,
      );
    return `WhatsApp accepts the token: number ${number.display_phone_number}${number.verified_name ? ` (${number.verified_name})` : ''}.`;
  },
  actions: [sendText, sendTemplate, sendMedia],
  triggers: [message],
  docPath: fileURLToPath(new URL('./doc.md', import.meta.url)),
});
