import { fileURLToPath } from 'node:url';
import { defineConnector } from '../sdk/define.ts';
import { base64Decode, base64Encode } from './actions/base64.ts';
import { hash } from './actions/hash.ts';
import { hmac } from './actions/hmac.ts';
import { randomId } from './actions/random-id.ts';
import { HmacKey } from './credential.ts';

export const cryptoConnector = defineConnector<HmacKey, undefined>({
  id: 'crypto',
  version: '1.0.0',
  title: 'Crypto',
  description:
    'Hashes (sha256, sha512, md5…), HMAC signatures with a key from a credential, random ids and UUIDs, base64 ' +
    'encode/decode. No network.',
  credential: {
    type: 'hmac-key',
    schema: HmacKey,
    optional: true,
    howToGet:
      'The shared secret of the service you sign for (its webhook or API signing secret), as {"key":"…"} or a bare ' +
      'key on stdin; add "encoding":"base64" or "hex" when the service gives it in that form.',
    fromToken: (token) => ({ key: token }),
    publicFields: ['encoding'],
  },
  createClient: () => undefined,
  actions: [hash, hmac, randomId, base64Encode, base64Decode],
  triggers: [],
  docPath: fileURLToPath(new URL('./doc.md', import.meta.url)),
});
