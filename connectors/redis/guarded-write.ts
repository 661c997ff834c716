import type { Redis } from 'ioredis';
import { z } from 'zod';
import { ConnectorError } from '../sdk/connector-error.ts';
import { stepGuardKey } from './client.ts';

/** How long a step's first answer is kept for its retries. */
const GUARD_TTL_SECONDS = 86_400;

// One write and the record of its answer in one atomic script: a retry of the step (same guard key) gets the
// first answer back instead of incrementing, pushing or popping a second time. The command is from the fixed
// set below, never from the workflow.
const GUARDED_WRITE = `
local done = redis.call('GET', KEYS[1])
if done then return done end
local args = {}
for i = 3, #ARGV do args[#args + 1] = ARGV[i] end
local result
if ARGV[2] == '1' then
  result = redis.call(ARGV[1], KEYS[2], unpack(args))
else
  result = redis.call(ARGV[1], unpack(args))
end
local encoded = cjson.encode({ result = result })
redis.call('SET', KEYS[1], encoded, 'EX', ${GUARD_TTL_SECONDS})
return encoded
`;

export type GuardedCommand = 'INCRBY' | 'LPUSH' | 'RPUSH' | 'LPOP' | 'RPOP' | 'PUBLISH';

const Answer = z.object({ result: z.unknown() });

/**
 * Runs `command` once per idempotency key: on `key` (prefixed by the client like any key) when given, else with
 * `args` only (PUBLISH). Returns what Redis answered the first time (false for a nil reply).
 */
export async function guardedWrite(
  redis: Redis,
  options: { idempotencyKey: string; command: GuardedCommand; key?: string; args: (string | number)[] },
): Promise<unknown> {
  const keys = [stepGuardKey(options.idempotencyKey), ...(options.key === undefined ? [] : [options.key])];
  const reply = await redis.eval(
    GUARDED_WRITE,
    keys.length,
    ...keys,
    options.command,
    options.key === undefined ? '0' : '1',
    ...options.args.map(String),
  );
  try {
    return Answer.parse(JSON.parse(String(reply))).result;
  } catch (error) {
    throw new ConnectorError({
      code: 'E_UPSTREAM',
      message: 'redis: the guarded write answered something unreadable.',
      retryable: false,
      hint: 'The guard key of this step holds another value; report it.',
      cause: error,
    });
  }
}
