import { fileTypeFromBuffer, supportedMimeTypes } from 'file-type';

const TEXT_BY_EXTENSION: Record<string, string> = {
  txt: 'text/plain',
  csv: 'text/csv',
  tsv: 'text/tab-separated-values',
  json: 'application/json',
  md: 'text/markdown',
  html: 'text/html',
  htm: 'text/html',
  xml: 'application/xml',
  svg: 'image/svg+xml',
  yaml: 'application/yaml',
  yml: 'application/yaml',
};

const MediaType = /^[a-z0-9][a-z0-9!#$&^_.+-]*\/[a-z0-9][a-z0-9!#$&^_.+-]*$/;

function bareType(value: string | undefined): string | undefined {
  const bare = value?.split(';')[0]?.trim().toLowerCase();
  return bare && MediaType.test(bare) ? bare : undefined;
}

/**
 * The content type to record for a file: what its first bytes are when file-type recognises them; otherwise the
 * sender's type, unless it names a format file-type would have recognised (the bytes are not that); otherwise a
 * text type from the name's extension; else application/octet-stream.
 */
export async function sniffContentType(
  head: Uint8Array,
  declared: string | undefined,
  name: string,
): Promise<string> {
  const found = head.byteLength > 0 ? await fileTypeFromBuffer(head) : undefined;
  if (found) return found.mime;
  const claimed = bareType(declared);
  if (claimed && !(supportedMimeTypes as ReadonlySet<string>).has(claimed)) return claimed;
  const extension = name.includes('.') ? name.split('.').pop()?.toLowerCase() : undefined;
  return (extension && TEXT_BY_EXTENSION[extension]) || 'application/octet-stream';
}
