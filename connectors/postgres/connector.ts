import { fileURLToPath } from 'node:url';
import { defineConnector } from '../sdk/define.ts';
import { query } from './actions/query.ts';
import {
  createPostgresClient,
  type PostgresClient,
  PostgresCredential,
  postgresWireSecrets,
} from './client.ts';

export const postgresConnector = defineConnector<PostgresCredential, PostgresClient>({
  id: 'postgres',
  version: '1.0.0',
  title: 'PostgreSQL',
  description:
    'Run parameterised SQL on a PostgreSQL database: read-only by default, writes when the node allows.',
  credential: {
    type: 'postgres',
    schema: PostgresCredential,
    howToGet:
      'A connection URL for a database user with only the rights the workflow needs, e.g. ' +
      'postgres://reporting:…@db.example.com:5432/app?sslmode=require. A bare URL on stdin is accepted.',
    fromToken: (token) => ({ url: token }),
    wireSecrets: (credential: PostgresCredential) => postgresWireSecrets(credential.url),
  },
  createClient: createPostgresClient,
  actions: [query],
  triggers: [],
  docPath: fileURLToPath(new URL('./doc.md', import.meta.url)),
});
