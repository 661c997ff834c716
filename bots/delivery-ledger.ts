import type { Sql } from '../db/index.ts';
import type { DeliveryLedger } from './delivery-dedupe.ts';

const DAY_SECONDS = 24 * 60 * 60;
const PRUNE_EVERY_MS = 10 * 60 * 1000;

/**
 * Delivery ids in Postgres (bot_deliveries): the first insert of an id wins, in any process on the database, before
 * or after a restart. An id older than `ttlSeconds` (a day) counts as new again; such rows are pruned now and then.
 */
export function createDeliveryLedger(sql: Sql, options: { ttlSeconds?: number } = {}): DeliveryLedger {
  const ttlSeconds = options.ttlSeconds ?? DAY_SECONDS;
  let prunedAt = 0;
  return {
    async firstDelivery(id) {
      if (Date.now() - prunedAt > PRUNE_EVERY_MS) {
        prunedAt = Date.now();
        await sql`delete from bot_deliveries where created_at < now() - make_interval(secs => ${ttlSeconds})`;
      }
      const claimed = await sql`
        insert into bot_deliveries (id) values (${id})
        on conflict (id) do update set created_at = now()
          where bot_deliveries.created_at < now() - make_interval(secs => ${ttlSeconds})
        returning id`;
      return claimed.length === 1;
    },
  };
}
