import { fileURLToPath } from 'node:url';
import { defineConnector } from '../sdk/define.ts';
import { insertRows } from './actions/insert-rows.ts';
import { query } from './actions/query.ts';
import { updateRows } from './actions/update-rows.ts';
import { createMysqlClient, type MysqlClient, MysqlCredential } from './client.ts';
import { runStatement } from './statement.ts';

export const mysqlConnector = defineConnector<MysqlCredential, MysqlClient>({
  id: 'mysql',
  version: '1.0.0',
  title: 'MySQL / MariaDB',
  description:
    'Run parameterised SQL on a MySQL or MariaDB database, insert and update rows: read-only by default, writes when the node allows.',
  credential: {
    type: 'mysql',
    schema: MysqlCredential,
    howToGet:
      'The server and a database user with only the rights the workflow needs, as JSON: ' +
      '{"host":"db.example.com","port":3306,"user":"reporting","password":"…","database":"shop","ssl":true}. ' +
      'Add "ca" (PEM) for a server whose certificate is signed by a private CA.',
    // The password never goes on the wire (the server gets a scramble of it); it is a field, registered already.
    wireSecrets: () => [],
    publicFields: ['host', 'port', 'user', 'database', 'ssl', 'ca'],
  },
  createClient: createMysqlClient,
  async testCredential({ client, signal }) {
    const result = await runStatement(
      client,
      {
        sql: 'SELECT CURRENT_USER() AS user, VERSION() AS version',
        params: [],
        write: false,
        maxRows: 1,
        timeoutMs: 10_000,
      },
      signal,
    );
    const row = result.rows[0] ?? {};
    return `Logged in as ${String(row.user)} (server ${String(row.version)}).`;
  },
  actions: [query, insertRows, updateRows],
  triggers: [],
  docPath: fileURLToPath(new URL('./doc.md', import.meta.url)),
});
