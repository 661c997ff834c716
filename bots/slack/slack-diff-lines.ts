import { z } from 'zod';

const MAX_OPERATIONS = 20;
const MAX_VALUE = 120;

const Operation = z.object({
  op: z.string(),
  path: z.string(),
  from: z.string().optional(),
  value: z.unknown().optional(),
});

const shown = (value: unknown) => {
  const text = JSON.stringify(value) ?? 'undefined';
  return text.length > MAX_VALUE ? `${text.slice(0, MAX_VALUE - 1)}…` : text;
};

/**
 * A change proposal's diff (RFC 6902 operations from the current version to the proposed one) as lines a person
 * reads: `replace /nodes/0/with/code → "return 1"`. At most 20 operations, values clipped; plain text (the caller
 * escapes it for mrkdwn).
 */
export function slackDiffLines(diff: readonly unknown[]): string[] {
  const lines = diff.slice(0, MAX_OPERATIONS).map((raw) => {
    const parsed = Operation.safeParse(raw);
    if (!parsed.success) return `• ${shown(raw)}`;
    const { op, path, from, value } = parsed.data;
    if (op === 'remove') return `• remove ${path}`;
    if (op === 'move' || op === 'copy') return `• ${op} ${from ?? '?'} → ${path}`;
    return `• ${op} ${path} → ${shown(value)}`;
  });
  if (diff.length > MAX_OPERATIONS) lines.push(`… and ${diff.length - MAX_OPERATIONS} more`);
  return lines;
}
