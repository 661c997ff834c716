import { describe, expect, it } from 'vitest';
import { detectSecret, findSecrets } from './secret-detection.ts';

// Built from parts so this file itself does not look like it holds secrets.
const fake = (...parts: string[]): string => parts.join('');
const R36 = 'a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8';

describe('detectSecret', () => {
  const secrets: [string, string, { key?: string; inHeaders?: boolean }?][] = [
    ['Slack bot token', fake('xox', 'b-1234567890-1234567890123-', 'AbCdEfGhIjKlMnOpQrStUvWx')],
    ['Slack user token in text', fake('token is xox', 'p-12345678901-abcdefABCDEF')],
    ['Slack app token', fake('xap', 'p-1-A012345ABCD-1234567890-abcdef')],
    [
      'Slack webhook URL',
      fake('https://hooks.slack.com/services/', 'T0123ABCD/B0123ABCD/', 'abcdefghijklmnopqrstuvwx'),
    ],
    ['GitHub classic token', fake('gh', 'p_', R36)],
    ['GitHub OAuth token', fake('gh', 'o_', R36)],
    ['GitHub fine-grained token', fake('github', '_pat_', '11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz')],
    ['OpenAI key', fake('s', 'k-', 'abcdefghijklmnopqrstuvwxyzABCDEF0123456789')],
    ['OpenAI project key', fake('s', 'k-proj-', 'abcdEFGH1234_ijklMNOP5678-qrstUVWX')],
    ['Anthropic key', fake('s', 'k-ant-api03-', 'abcdefghijklmnopqrstuvwxyz0123456789ABCD')],
    ['AWS access key id', fake('AK', 'IA', 'IOSFODNN7EXAMPLE')],
    ['PEM private key', fake('-----BEGIN RSA ', 'PRIVATE KEY-----\nMIIEow...')],
    ['PEM private key (PKCS8)', fake('-----BEGIN ', 'PRIVATE KEY-----')],
    ['password= in a URL', 'https://example.com/login?user=ada&password=hunter22'],
    ['api_key= in text', 'use api_key=Zx81kd02kd9'],
    ['password in a connection URL', 'postgres://ada:s3cretpw@db.example.com:5432/app'],
    [
      'JWT',
      fake(
        'eyJhbGciOiJIUzI1NiJ9',
        '.eyJzdWIiOiIxMjM0NTY3ODkwIn0',
        '.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U',
      ),
    ],
    ['literal password field', 'hunter2', { key: 'password' }],
    ['literal clientSecret field', 'abcd', { key: 'client_secret' }],
    ['token-named field', 'Zk29xLq81mNb', { key: 'apiKey' }],
    ['bearer header', fake('Bearer ', 'Zk29xLq81mNbPq77'), { key: 'Authorization', inHeaders: true }],
    ['random header', 'Q2hhbmdlTWUxMjM0NTY3ODkwYWJjZGVmZ2hpams', { key: 'X-Custom', inHeaders: true }],
  ];
  for (const [name, value, context] of secrets) {
    it(`flags ${name}`, () => {
      const finding = detectSecret(value, context);
      expect(finding).toBeDefined();
      expect(finding?.preview.length).toBeLessThan(30);
      if (value.length > 12) expect(finding?.preview).not.toContain(value);
    });
  }

  const harmless: [string, string, { key?: string; inHeaders?: boolean }?][] = [
    ['ordinary text', 'Reset your password: click the link below'],
    ['text about tokens', 'The token expired; ask for a new one'],
    ['a URL', 'https://api.github.com/repos/octocat/Hello-World/issues?state=open&per_page=100'],
    ['a URL with a user but no password', 'ssh://git@github.com/octocat/hello.git'],
    ['a UUID', '123e4567-e89b-12d3-a456-426614174000'],
    ['a UUID in headers', '123E4567-E89B-12D3-A456-426614174000', { key: 'X-Request-Id', inHeaders: true }],
    ['a content type header', 'application/vnd.github.v3+json', { key: 'Accept', inHeaders: true }],
    [
      'a user agent',
      'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36',
      { key: 'User-Agent', inHeaders: true },
    ],
    ['an expression as password', '{{ vars.dbPassword }}', { key: 'password' }],
    [
      'an expression in Authorization',
      'Bearer {{ steps.login.output.token }}',
      { key: 'Authorization', inHeaders: true },
    ],
    ['password=expression', 'password={{ vars.pw }}'],
    ['a placeholder password', '********', { key: 'password' }],
    ['a git sha', 'a94a8fe5ccb19ba61c4c0873d391e987982fbbd3'],
    ['a Slack channel', '#triage'],
    ['sk- in prose', 'ask-me-anything about sk-learn'],
    ['almost a GitHub token (too short)', fake('gh', 'p_', 'abc123')],
    ['almost an AWS key (lowercase)', 'akiaiosfodnn7example'],
    ['pagination token field is not a secret-named key', 'eyJwYWdlIjoyfQ', { key: 'pageToken' }],
    ['a short token value', 'abc', { key: 'token' }],
    ['an idempotency key', 'order-42', { key: 'idempotencyKey' }],
    [
      'a base64 image-ish blob outside headers',
      'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk',
    ],
    ['a slack thread ts', '1700000000.000100', { key: 'thread_ts' }],
  ];
  for (const [name, value, context] of harmless) {
    it(`does not flag ${name}`, () => {
      expect(detectSecret(value, context)).toBeUndefined();
    });
  }
});

describe('findSecrets', () => {
  it('reports pointers and never the value', () => {
    const token = fake('xox', 'b-1234567890-abcdefghijkl');
    const found = findSecrets(
      { channel: '#a', headers: { Authorization: `Bearer ${token}` }, nested: [{ password: 'hunter22' }] },
      '/nodes/0/with',
    );
    expect(found.map((entry) => entry.pointer)).toEqual([
      '/nodes/0/with/headers/Authorization',
      '/nodes/0/with/nested/0/password',
    ]);
    expect(JSON.stringify(found)).not.toContain(token);
    expect(JSON.stringify(found)).not.toContain('hunter22');
  });
});

describe('adversarial text', () => {
  it('scans long repetitive strings in linear time (no catastrophic backtracking)', () => {
    for (const unit of [
      'eyJ',
      'sk-',
      'a://',
      '{{',
      'password=',
      'xoxb-',
      'hooks.slack.com/services/T1/',
      'aB3.',
    ]) {
      const text = unit.repeat(Math.ceil(100_000 / unit.length));
      expect(() => detectSecret(text, { key: 'authorization', inHeaders: true })).not.toThrow();
      expect(() => findSecrets({ headers: { a: text }, b: text })).not.toThrow();
    }
  });
});
