import type { Sql } from '../../db/index.ts';
import { registerSecret } from '../../lib/index.ts';
import { SETTABLE_SECRET, setHookSecret } from './webhook-secrets.ts';

// Subscription handshakes (Asana's X-Hook-Secret): the vendor sends its signing secret to the hook URL while the
// subscription job's `create` waits for the vendor's answer. The job opens a window on the workflow's subscription
// row; the hook route takes at most one handshake in it (the update that closes it is atomic), so an unsigned
// request can never replace the secret of a subscription that is already set up.

/** Opens the window for one handshake, until `ms` from now (the job's own time limit). */
export async function openHandshake(sql: Sql, workflowId: string, ms: number): Promise<void> {
  await sql`
    update trigger_subscriptions set handshake_open_until = now() + make_interval(secs => ${ms / 1000})
    where workflow_id = ${workflowId}`;
}

/** Closes the window (the attempt failed). */
export async function closeHandshake(sql: Sql, workflowId: string): Promise<void> {
  await sql`update trigger_subscriptions set handshake_open_until = null where workflow_id = ${workflowId}`;
}

/** Whether the window is still open: no handshake came during `create`. */
export async function handshakeStillOpen(sql: Sql, workflowId: string): Promise<boolean> {
  const [row] = await sql`
    select 1 from trigger_subscriptions where workflow_id = ${workflowId} and handshake_open_until > now()`;
  return row !== undefined;
}

/**
 * Takes a handshake's secret as the workflow's hook secret when a window is open, closing it; false (refuse the
 * request) when none is open or the secret is not one a hook secret may be.
 */
export async function acceptHandshake(sql: Sql, workflowId: string, secret: string): Promise<boolean> {
  if (!SETTABLE_SECRET.test(secret)) return false;
  const closed = await sql`
    update trigger_subscriptions set handshake_open_until = null, updated_at = now()
    where workflow_id = ${workflowId} and handshake_open_until > now() returning workflow_id`;
  if (closed.length === 0) return false;
  registerSecret(secret);
  await setHookSecret(sql, workflowId, secret);
  return true;
}
