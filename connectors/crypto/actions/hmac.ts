import { createHmac } from 'node:crypto';
import { z } from 'zod';
import { ConnectorError } from '../../sdk/connector-error.ts';
import { defineAction } from '../../sdk/define.ts';
import type { HmacKey } from '../credential.ts';
import { Digest, DigestEncoding, decodeInput, InputEncoding } from '../encodings.ts';

export const HmacInput = z.strictObject({
  data: z
    .string()
    .max(5_000_000)
    .describe('The message to sign: usually the exact request body or a canonical string.'),
  algorithm: Digest.default('sha256').describe('sha256 (default), sha384, sha512, sha1 or md5.'),
  inputEncoding: InputEncoding,
  encoding: DigestEncoding,
  prefix: z
    .string()
    .max(20)
    .default('')
    .describe('Put before the signature, e.g. "sha256=" (GitHub style). Default none.'),
});

export const HmacOutput = z.object({
  signature: z.string().describe('The HMAC in the chosen encoding, after prefix.'),
});

export const hmac = defineAction<typeof HmacInput, typeof HmacOutput, HmacKey, undefined>({
  key: 'hmac',
  title: 'HMAC signature',
  description:
    'Sign a message with HMAC (sha256 by default) using a secret key from the node\'s credential (type "hmac-key"), ' +
    'e.g. to sign an outgoing webhook or an API request. The key never appears in the document.',
  effect: 'pure',
  idempotent: true,
  input: HmacInput,
  output: HmacOutput,
  async run(input, ctx) {
    if (!ctx.credential) {
      throw new ConnectorError({
        code: 'E_CREDENTIAL',
        message: 'crypto.hmac needs the secret key: the node has no credential.',
        retryable: false,
        hint: 'Store the key with `vmesh credentials set NAME --type hmac-key` and set the node\'s "credential": "NAME".',
      });
    }
    const key = decodeInput(
      ctx.credential.key,
      ctx.credential.encoding,
      "crypto.hmac (the credential's key)",
    );
    const bytes = decodeInput(input.data, input.inputEncoding, 'crypto.hmac');
    return {
      signature: `${input.prefix}${createHmac(input.algorithm, key).update(bytes).digest(input.encoding)}`,
    };
  },
});
