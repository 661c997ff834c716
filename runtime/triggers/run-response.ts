import type { FastifyReply } from 'fastify';
import { z } from 'zod';
import type { Sql } from '../../db/index.ts';
import { respondHeaderProblem } from '../nodes/respond-headers.ts';
import { isResting } from '../store/run-status.ts';
import { watchRun } from '../store/run-store.ts';

const RunResponse = z.object({
  status: z.number(),
  body: z.unknown(),
  headers: z.record(z.string(), z.string()).optional(),
});
export type RunResponse = z.infer<typeof RunResponse>;

/** A core.respond answer is served from the web chat's origin: it never runs as a page there, whatever it says. */
export const RESPONSE_CSP = "default-src 'none'; sandbox; frame-ancestors 'none'";

/** The run's `core.respond` response, once it has one; none when it settles or waits without one, or in time. */
export async function waitForResponse(
  sql: Sql,
  runId: string,
  timeoutMs: number,
): Promise<RunResponse | undefined> {
  const row = await watchRun(sql, runId, {
    read: async () => (await sql`select status, response from runs where id = ${runId}`)[0],
    until: (row) => !row || Boolean(row.response) || isResting(String(row.status)),
    timeoutMs,
    pollMs: 250,
  });
  return row?.response ? RunResponse.parse(row.response) : undefined;
}

/** Sends a run's core.respond response (the hook and form routes): its status, body and its safe headers. */
export function sendRunResponse(reply: FastifyReply, runId: string, response: RunResponse): FastifyReply {
  reply.header('x-vmesh-run-id', runId);
  // core.respond refused unsafe headers when it ran; a response stored before that rule is filtered here.
  for (const [name, value] of Object.entries(response.headers ?? {})) {
    if (!respondHeaderProblem(name, value, { status: response.status })) reply.header(name, value);
  }
  return reply.code(response.status).send(response.body ?? null);
}
