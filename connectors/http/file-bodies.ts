import type { FilePort, FileRef } from '../sdk/files.ts';
import type { StreamedBody } from '../sdk/multipart.ts';

export { MultipartPart, multipartBody, type StreamedBody } from '../sdk/multipart.ts';

/** The raw bytes of a stored file, read from the run's store while they are sent. */
export async function rawFileBody(files: FilePort, ref: FileRef): Promise<StreamedBody> {
  const file = await files.read(ref);
  return { stream: file.stream, length: file.ref.size, contentType: file.ref.contentType };
}

/** The file name a response suggests: Content-Disposition's filename*, then filename, then the URL's last segment. */
export function responseFileName(contentDisposition: string | null, url: URL): string {
  if (contentDisposition) {
    const extended = /filename\*\s*=\s*(?:UTF-8|utf-8)''([^;]+)/.exec(contentDisposition)?.[1];
    if (extended) {
      try {
        return decodeURIComponent(extended.trim());
      } catch {
        // fall through to the plain parameter
      }
    }
    const plain = /filename\s*=\s*(?:"([^"]*)"|([^;]+))/.exec(contentDisposition);
    const name = (plain?.[1] ?? plain?.[2])?.trim();
    if (name) return name;
  }
  const segment = url.pathname.split('/').filter(Boolean).pop();
  if (segment) {
    try {
      return decodeURIComponent(segment);
    } catch {
      return segment;
    }
  }
  return 'download';
}
