import { fileURLToPath } from 'node:url';
import { defineConnector } from '../sdk/define.ts';
import { get } from './actions/get.ts';
import { increment } from './actions/increment.ts';
import { popFromList } from './actions/pop-from-list.ts';
import { publish } from './actions/publish.ts';
import { pushToList } from './actions/push-to-list.ts';
import { set } from './actions/set.ts';
import { createRedisClient, type RedisClient, RedisCredential, redisWireSecrets } from './client.ts';

export const redisConnector = defineConnector<RedisCredential, RedisClient>({
  id: 'redis',
  version: '1.0.0',
  title: 'Redis',
  description:
    'Get and set Redis values with a TTL, count, push and pop list items, publish messages (Redis, Valkey, KeyDB, managed Redis).',
  credential: {
    type: 'redis',
    schema: RedisCredential,
    howToGet:
      'The connection URL of the Redis server, e.g. rediss://default:…@cache.example.com:6380/0 (rediss = TLS; the ' +
      'path is the db index), as a bare URL on stdin or {"url":"…","keyPrefix":"vmesh:"}. Prefer a Redis ACL user ' +
      'limited to the keys the workflow needs; keyPrefix keeps the actions to keys under that prefix.',
    fromToken: (token) => ({ url: token }),
    wireSecrets: (credential: RedisCredential) => redisWireSecrets(credential.url),
    publicFields: ['keyPrefix'],
  },
  createClient: createRedisClient,
  async testCredential({ client, signal }) {
    const pong = await client.use((redis) => redis.ping(), { signal, timeoutMs: 5_000 });
    return `Redis answered ${pong}.`;
  },
  actions: [get, set, increment, pushToList, popFromList, publish],
  triggers: [],
  docPath: fileURLToPath(new URL('./doc.md', import.meta.url)),
});
