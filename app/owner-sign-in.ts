import { ensureLocalOwner } from '../access/index.ts';
import type { Sql } from '../db/index.ts';
import { createLoginLink, DEFAULT_LINK_TTL_MS } from './web-auth/index.ts';

/** Where the one-time owner link goes: written once, never through the logger. */
export type Announce = (text: string) => void;

export const writeToStdout: Announce = (text) => {
  process.stdout.write(text);
};

/**
 * On a server without VMESH_API_TOKEN nothing is open, so start hands the local owner a way in: a one-time
 * sign-in link (single use, 15 minutes, only its hash stored), announced once and nowhere else.
 */
export async function announceOwnerSignIn(sql: Sql, baseUrl: string, announce: Announce): Promise<void> {
  const owner = await ensureLocalOwner(sql, 'web');
  const { token } = await createLoginLink(sql, owner.userId, DEFAULT_LINK_TTL_MS);
  const url = new URL(`/auth/link/${token}`, baseUrl).toString();
  announce(
    `Open ${url} to sign in as ${owner.name} (one use, 15 minutes), or run: vmesh login-link ${owner.name}\n` +
      `MCP clients over HTTP need a token (vmesh tokens create --user ${owner.name} --name claude), or use: vmesh mcp\n`,
  );
}
