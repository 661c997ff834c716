import { z } from 'zod';
import type { Sql } from '../db/index.ts';
import { Reply } from './reply.ts';

/**
 * One thing a conversation showed, in order: what a person said and/or what the agent answered (a turn's
 * replies, a self-healing fix, an approval's outcome). `id` is the stored message's id, a cursor for "after".
 */
export const HistoryEntry = z.object({
  id: z.number().int(),
  at: z.string(),
  /** Who started the turn (actorLabel, or `system:…` for self-healing and notes the system wrote). */
  actor: z.string().nullable(),
  /** The person's own words; null for the agent's replies alone, system prompts and notes. */
  said: z.string().nullable(),
  replies: z.array(Reply),
});
export type HistoryEntry = z.infer<typeof HistoryEntry>;

const NOTE_PREFIX = '(VelocityMesh note) ';
const SYSTEM_ACTOR = /(^|\()system:/;
/**
 * A message is only delivered once it is this old, so a row inserted earlier (a smaller id) that committed later
 * cannot be passed over by a cursor: every message is one autocommitted insert that takes far less than this.
 */
export const SETTLE_MS = 1_000;

const MessageRow = z.object({
  id: z.coerce.number().int(),
  role: z.enum(['user', 'assistant', 'tool']),
  actor: z.string().nullable(),
  turnActor: z.string().nullable(),
  content: z.unknown(),
  replies: z.unknown().nullable(),
  createdAt: z.date(),
});

const UserContent = z.object({ content: z.string() });

/**
 * The conversation's settled messages after `afterId` (oldest first, at most `limit`; without `afterId` the latest
 * `limit`) as entries, with `cursor` the
 * id to continue after (it passes over rows that produce no entry, e.g. tool calls). Replies that do not parse
 * (written by an older version) are left out rather than failing the whole history.
 */
export async function loadHistoryEntries(
  sql: Sql,
  conversationId: string,
  options: { afterId?: number; limit?: number; settleMs?: number } = {},
): Promise<{ entries: HistoryEntry[]; cursor: number }> {
  const afterId = options.afterId ?? 0;
  // Without a cursor: the latest messages (a long conversation opens at its end); with one: the next after it.
  const latest = options.afterId === undefined;
  const rows = await sql`
    select * from (
      select m.id, m.role, m.actor, m.content, m.replies, m.created_at,
        (select u.actor from conversation_messages u
          where u.conversation_id = m.conversation_id and u.role = 'user' and u.id <= m.id
          order by u.id desc limit 1) as turn_actor
      from conversation_messages m
      where m.conversation_id = ${conversationId} and m.id > ${afterId}
        and m.created_at < clock_timestamp() - ${options.settleMs ?? SETTLE_MS} * interval '1 millisecond'
      order by case when ${latest} then -m.id else m.id end
      limit ${options.limit ?? 500}
    ) batch order by id asc`;
  let cursor = afterId;
  const entries: HistoryEntry[] = [];
  for (const raw of rows) {
    const row = MessageRow.parse(raw);
    cursor = row.id;
    const text = row.role === 'user' ? UserContent.safeParse(row.content) : undefined;
    const byPerson = row.actor !== null && !SYSTEM_ACTOR.test(row.actor);
    const said =
      text?.success && byPerson && !text.data.content.startsWith(NOTE_PREFIX) ? text.data.content : null;
    const replies = z
      .array(z.unknown())
      .catch([])
      .parse(row.replies ?? []);
    const parsed = replies.flatMap((reply) => {
      const one = Reply.safeParse(reply);
      return one.success ? [one.data] : [];
    });
    if (said === null && parsed.length === 0) continue;
    entries.push({
      id: row.id,
      at: row.createdAt.toISOString(),
      actor: row.turnActor,
      said,
      replies: parsed,
    });
  }
  return { entries, cursor };
}
