import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { basicAuthWireSecrets } from '../sdk/credential-secrets.ts';
import { defineConnector } from '../sdk/define.ts';
import { createRestClient, type RestClient } from '../sdk/rest/index.ts';
import { makeCall } from './actions/make-call.ts';
import { sendMessage } from './actions/send-message.ts';
import { accountScoped, basicPairOf, TwilioCredential, twilioApi } from './client.ts';
import { incomingMessage } from './triggers/incoming-message.ts';

export const twilioConnector = defineConnector<TwilioCredential, RestClient>({
  id: 'twilio',
  version: '1.0.0',
  title: 'Twilio',
  description:
    'Send SMS, MMS and WhatsApp messages and place phone calls with Twilio (REST API 2010-04-01); start workflows on incoming messages.',
  credential: {
    type: 'twilio',
    schema: TwilioCredential,
    howToGet:
      'In the Twilio Console: Account Info shows the Account SID (AC…) and Auth Token; or make an API key under Account → API keys & tokens (SID SK… and secret). Then `vmesh credentials set twilio --type twilio` with {"accountSid":"AC…","authToken":"…"} or {"accountSid":"AC…","apiKeySid":"SK…","apiKeySecret":"…"}.',
    wireSecrets: (credential: TwilioCredential) => {
      const pair = basicPairOf(credential);
      return basicAuthWireSecrets(pair.username, pair.password);
    },
    publicFields: ['accountSid', 'apiKeySid'],
  },
  // Twilio limits concurrent REST requests per account (about 100) rather than a rate; sending is queued per number.
  rateLimit: { requests: 100, perSeconds: 1, burst: 100 },
  createClient: ({ credential, env }) =>
    accountScoped(createRestClient(twilioApi, { credential, env }), credential?.accountSid),
  async testCredential({ client, signal }) {
    const account = z
      .object({ friendly_name: z.string(), status: z.string() })
      .parse((await client.send({ method: 'GET', path: '.json' }, signal)).body);
    return `Twilio accepts it: account "${account.friendly_name}" (${account.status}).`;
  },
  actions: [sendMessage, makeCall],
  triggers: [incomingMessage],
  docPath: fileURLToPath(new URL('./doc.md', import.meta.url)),
});
