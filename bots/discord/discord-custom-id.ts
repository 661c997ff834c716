import { z } from 'zod';

/** A button's custom_id: `vmesh:<decision>:<proposalId>` (Discord allows 100 characters). */
export const DiscordCustomId = z.object({
  decision: z.enum(['approve', 'reject', 'keep_both']),
  proposalId: z.string().min(1).max(80),
});
export type DiscordCustomId = z.infer<typeof DiscordCustomId>;

export function encodeDiscordCustomId(value: DiscordCustomId): string {
  const parsed = DiscordCustomId.parse(value);
  return `vmesh:${parsed.decision}:${parsed.proposalId}`;
}

export function parseDiscordCustomId(raw: unknown): DiscordCustomId | undefined {
  if (typeof raw !== 'string') return undefined;
  const match = /^vmesh:(approve|reject|keep_both):(.+)$/.exec(raw);
  const parsed = DiscordCustomId.safeParse({ decision: match?.[1], proposalId: match?.[2] });
  return parsed.success ? parsed.data : undefined;
}
