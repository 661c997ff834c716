import { Hash } from '@smithy/hash-node';
import { SignatureV4 } from '@smithy/signature-v4';
import { z } from 'zod';
import type { AuthRequest } from './auth-style.ts';
import { defineAuthStyle } from './auth-style.ts';

export const AwsSigV4Credential = z.strictObject({
  accessKeyId: z.string().min(1).describe('The access key id (AKIA… or ASIA…).'),
  secretAccessKey: z.string().min(1).describe('The secret access key; never sent, only used to sign.'),
  sessionToken: z.string().min(1).optional().describe('The session token of temporary credentials.'),
  region: z
    .string()
    .regex(/^[a-z0-9-]{1,32}$/, 'a region such as us-east-1')
    .describe('The region, e.g. `us-east-1`.'),
  service: z
    .string()
    .regex(/^[a-z0-9-]{1,64}$/, 'a signing name such as s3, execute-api or sqs')
    .describe('The service’s signing name, e.g. `s3`, `execute-api`, `sqs`.'),
});
export type AwsSigV4Credential = z.output<typeof AwsSigV4Credential>;

/** The request signed with AWS Signature V4 by AWS's own signer, at `now`. */
export async function signSigV4(
  request: AuthRequest,
  credential: AwsSigV4Credential,
  now: Date,
): Promise<AuthRequest> {
  // S3 signs the path as sent and wants the payload hash as a header; every other service double-encodes.
  const s3 = credential.service === 's3';
  const signer = new SignatureV4({
    credentials: {
      accessKeyId: credential.accessKeyId,
      secretAccessKey: credential.secretAccessKey,
      ...(credential.sessionToken ? { sessionToken: credential.sessionToken } : {}),
    },
    region: credential.region,
    service: credential.service,
    sha256: Hash.bind(null, 'sha256'),
    uriEscapePath: !s3,
    applyChecksum: s3,
  });
  const headers: Record<string, string> = { host: request.url.host };
  for (const [name, value] of request.headers) headers[name] = value;
  const query: Record<string, string | string[]> = {};
  for (const [name, value] of request.url.searchParams) {
    const seen = query[name];
    query[name] = seen === undefined ? value : [...(Array.isArray(seen) ? seen : [seen]), value];
  }
  const signed = await signer.sign(
    {
      method: request.method,
      protocol: request.url.protocol,
      hostname: request.url.hostname,
      ...(request.url.port ? { port: Number(request.url.port) } : {}),
      path: request.url.pathname,
      query,
      headers,
      ...(request.body ? { body: request.body } : {}),
    },
    { signingDate: now },
  );
  const out = new Headers();
  // Host is signed but sent by the HTTP client itself, from the URL.
  for (const [name, value] of Object.entries(signed.headers))
    if (name.toLowerCase() !== 'host') out.set(name, value);
  return { ...request, headers: out };
}

export const awsSigV4Style = defineAuthStyle({
  type: 'aws-sigv4',
  title: 'AWS Signature V4',
  schema: AwsSigV4Credential,
  howToGet:
    'An IAM access key (IAM → Users → the user → Security credentials → Create access key) allowed to call the API, and where it is used: {"accessKeyId":"…","secretAccessKey":"…","region":"us-east-1","service":"execute-api"}. Temporary credentials add "sessionToken". Every request is signed; the secret key itself is never sent.',
  publicFields: ['accessKeyId', 'region', 'service'],
  // What goes on the wire is the key id (not a secret), the session token (a field, registered already) and a
  // signature, which does not reveal the secret key.
  wireSecrets: () => [],
  apply: (request, credential, ctx) => signSigV4(request, credential, ctx.now),
});
