import { describe, expect, it } from 'vitest';
import { isLostDatabaseConnection } from './process-guards.ts';

describe('isLostDatabaseConnection', () => {
  it('recognises a server-terminated connection and a dropped socket, also as a cause', () => {
    expect(
      isLostDatabaseConnection(Object.assign(new Error('terminating connection'), { code: '57P01' })),
    ).toBe(true);
    expect(isLostDatabaseConnection(new Error('Connection terminated unexpectedly'))).toBe(true);
    expect(
      isLostDatabaseConnection(
        new Error('returning jobs failed', { cause: Object.assign(new Error('x'), { code: 'ECONNRESET' }) }),
      ),
    ).toBe(true);
    expect(isLostDatabaseConnection(Object.assign(new Error('connection failure'), { code: '08006' }))).toBe(
      true,
    );
  });

  it('does not excuse ordinary bugs', () => {
    expect(
      isLostDatabaseConnection(new TypeError("Cannot read properties of undefined (reading 'id')")),
    ).toBe(false);
    expect(isLostDatabaseConnection(Object.assign(new Error('duplicate key'), { code: '23505' }))).toBe(
      false,
    );
    expect(isLostDatabaseConnection('boom')).toBe(false);
    expect(isLostDatabaseConnection(undefined)).toBe(false);
  });
});
