// A separate process appending audit entries (the concurrency test runs two of these at once):
// `node bin/run-ts.mjs access/testing/append-audit.ts DATABASE_URL COUNT TAG`
import { createSqlClient } from '../../db/index.ts';
import { audit } from '../audit.ts';

const [url, countText, tag] = process.argv.slice(2);
if (!url || !countText || !tag) throw new Error('usage: append-audit.ts DATABASE_URL COUNT TAG');
const count = Number(countText);
const lanes = 4;
const sql = createSqlClient(url, { max: lanes });
try {
  await Promise.all(
    Array.from({ length: lanes }, async (_, lane) => {
      for (let i = lane; i < count; i += lanes)
        await audit(sql, {
          actor: tag,
          action: 'run.started',
          subjectType: 'run',
          subjectId: `${tag}-${i}`,
          details: { lane, i },
        });
    }),
  );
} finally {
  await sql.end({ timeout: 5 });
}
