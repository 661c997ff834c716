import { describe, expect, it } from 'vitest';
import { httpConnector } from '../http/connector.ts';
import { slackConnector } from '../slack/connector.ts';
import { parseSecretInput } from './parse-secret-input.ts';

describe('parseSecretInput', () => {
  it('maps a bare token through the type, or to { token }', () => {
    expect(parseSecretInput('xoxb-123-abc\n', slackConnector.credential)).toEqual({ token: 'xoxb-123-abc' });
    expect(parseSecretInput('abc123\n', httpConnector.credential)).toEqual({
      scheme: 'bearer',
      token: 'abc123',
    });
    expect(parseSecretInput('abc123', undefined)).toEqual({ token: 'abc123' });
  });

  it('keeps a JSON object and refuses other shapes', () => {
    expect(
      parseSecretInput(' {"scheme":"basic","username":"u","password":"p"} ', httpConnector.credential),
    ).toEqual({
      scheme: 'basic',
      username: 'u',
      password: 'p',
    });
    expect(() => parseSecretInput('', undefined)).toThrow(/No secret/);
    expect(() => parseSecretInput('{oops', undefined)).toThrow(/not valid JSON/);
    expect(() => parseSecretInput('two words', undefined)).toThrow(/spaces/);
  });
});
