import { describe, expect, it } from 'vitest';
import { type AuthRequest, awsSigV4Style } from './index.ts';

// AWS's SigV4 test suite (aws-sig-v4-test-suite): its documented credentials, region, service and time, and the
// Authorization headers it publishes for these requests. Signed by our style, which hands the request to
// @smithy/signature-v4; the signature must be the published one, character for character.

const suite = {
  accessKeyId: 'AKIDEXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
  region: 'us-east-1',
  service: 'service',
};
const at = new Date(Date.UTC(2015, 7, 30, 12, 36, 0));
const prefix =
  'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=';

async function sign(method: string, url: string): Promise<Headers> {
  const request: AuthRequest = { method, url: new URL(url), headers: new Headers(), body: undefined };
  const signed = await awsSigV4Style.apply(request, suite, {
    fetch,
    signal: new AbortController().signal,
    now: at,
  });
  return signed.headers;
}

describe('aws-sigv4: the published test-suite vectors', () => {
  it.each([
    [
      'get-vanilla',
      'GET',
      'https://example.amazonaws.com/',
      '5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31',
    ],
    [
      'get-vanilla-query-order-key-case',
      'GET',
      'https://example.amazonaws.com/?Param2=value2&Param1=value1',
      'b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500',
    ],
    [
      'post-vanilla',
      'POST',
      'https://example.amazonaws.com/',
      '5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b',
    ],
  ])('%s', async (_name, method, url, signature) => {
    const headers = await sign(method, url);
    expect(headers.get('authorization')).toBe(`${prefix}${signature}`);
    expect(headers.get('x-amz-date')).toBe('20150830T123600Z');
    // Host is signed, but left to the HTTP client to send from the URL.
    expect(headers.has('host')).toBe(false);
  });

  it('a session token is sent and signed; the secret key is never on the wire', async () => {
    const request: AuthRequest = {
      method: 'POST',
      url: new URL('https://sqs.us-east-1.amazonaws.com/'),
      headers: new Headers({ 'content-type': 'application/x-www-form-urlencoded' }),
      body: Buffer.from('Action=ListQueues'),
    };
    const signed = await awsSigV4Style.apply(
      request,
      { ...suite, service: 'sqs', sessionToken: 'session-token-example' },
      { fetch, signal: new AbortController().signal, now: at },
    );
    expect(signed.headers.get('x-amz-security-token')).toBe('session-token-example');
    expect(signed.headers.get('authorization')).toContain(
      'SignedHeaders=content-type;host;x-amz-date;x-amz-security-token',
    );
    expect(JSON.stringify([...signed.headers])).not.toContain(suite.secretAccessKey);
  });

  it('s3 also sends the payload hash, as S3 requires', async () => {
    const signed = await awsSigV4Style.apply(
      {
        method: 'GET',
        url: new URL('https://bucket.s3.amazonaws.com/a.txt'),
        headers: new Headers(),
        body: undefined,
      },
      { ...suite, service: 's3' },
      { fetch, signal: new AbortController().signal, now: at },
    );
    expect(signed.headers.get('x-amz-content-sha256')).toBe(
      'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    );
  });
});
