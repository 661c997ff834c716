import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';

// The real Redis the tests use (.ci/run installs and starts redis-server). VMESH_TEST_REDIS_URL points elsewhere;
// each test file works under a key prefix of its own in db 15, and removes its keys afterwards.

export function testRedisUrl(): string {
  return process.env.VMESH_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379/15';
}

export type TestRedis = {
  url: string;
  /** This file's prefix, e.g. `vmesh-test:1a2b3c:`. */
  keyPrefix: string;
  /** A connection of the test's own (no prefix) to set up and check keys. */
  admin: Redis;
  close(): Promise<void>;
};

/** Why the Redis tests are skipped here, or undefined when they run; never skipped on CI (CI set). */
export async function redisSkipReason(): Promise<string | undefined> {
  if (process.env.CI) return undefined;
  const redis = new Redis(testRedisUrl(), {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  redis.on('error', () => {});
  try {
    await redis.connect();
    await redis.ping();
    return undefined;
  } catch (error) {
    return `no Redis at ${testRedisUrl()} (${(error as Error).message}); run .ci/run as root or set VMESH_TEST_REDIS_URL; the Redis tests are skipped outside CI`;
  } finally {
    redis.disconnect();
  }
}

export async function createTestRedis(): Promise<TestRedis> {
  const url = testRedisUrl();
  const keyPrefix = `vmesh-test:${randomBytes(6).toString('hex')}:`;
  const admin = new Redis(url, { maxRetriesPerRequest: 1 });
  await admin.ping();
  return {
    url,
    keyPrefix,
    admin,
    async close() {
      const keys = await admin.keys(`${keyPrefix}*`);
      if (keys.length > 0) await admin.del(...keys);
      admin.disconnect();
    },
  };
}
