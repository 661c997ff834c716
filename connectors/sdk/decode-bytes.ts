import { dataError } from './data-error.ts';

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const BASE64URL = /^[A-Za-z0-9_-]*={0,2}$/;
const HEX = /^(?:[0-9a-fA-F]{2})*$/;

/** Bytes of `data` written in `encoding`; a clear step error when it is not valid in that encoding. */
export function decodeInput(
  data: string,
  encoding: 'utf8' | 'base64' | 'hex' | 'base64url',
  where: string,
): Buffer {
  if (encoding === 'utf8') return Buffer.from(data, 'utf8');
  const compact = encoding === 'hex' ? data.trim() : data.replace(/\s+/g, '');
  const valid =
    encoding === 'hex'
      ? HEX.test(compact)
      : (encoding === 'base64' ? BASE64 : BASE64URL).test(compact) && compact.length % 4 !== 1;
  if (!valid) {
    throw dataError(
      'E_ENCODING',
      `${where}: the data is not valid ${encoding}.`,
      encoding === 'hex'
        ? 'Hex is pairs of 0-9a-f characters.'
        : `Check that the whole ${encoding} text arrived (not truncated) and that it is ${encoding === 'base64' ? 'standard (+/)' : 'URL-safe (-_)'} base64.`,
    );
  }
  return Buffer.from(compact, encoding);
}
