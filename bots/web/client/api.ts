/** The page's HTTP client: bearer token from sessionStorage, JSON routes, and SSE read from fetch streams. */
const TOKEN_KEY = 'vmesh.token';

export class UnauthorizedError extends Error {}

function headers(extra: Record<string, string> = {}): Record<string, string> {
  const token = sessionStorage.getItem(TOKEN_KEY);
  return { ...extra, ...(token ? { authorization: `Bearer ${token}` } : {}) };
}

export function saveToken(token: string): void {
  sessionStorage.setItem(TOKEN_KEY, token);
}

async function check(response: Response): Promise<Response> {
  if (response.status === 401) throw new UnauthorizedError('This server needs its API token.');
  if (!response.ok) {
    const body = (await response.json().catch(() => ({}))) as { message?: string };
    throw new Error(body.message ?? `Request failed with HTTP ${response.status}`);
  }
  return response;
}

export async function getJson<T>(path: string): Promise<T> {
  return (await (await check(await fetch(path, { headers: headers() }))).json()) as T;
}

export async function postJson<T>(path: string, body: unknown): Promise<T> {
  const response = await fetch(path, {
    method: 'POST',
    headers: headers({ 'content-type': 'application/json' }),
    body: JSON.stringify(body),
  });
  return (await (await check(response)).json()) as T;
}

/** Reads a `text/event-stream` response and calls `onEvent` per event until the stream ends. */
export async function streamEvents(
  path: string,
  init: { method?: string; body?: unknown; signal?: AbortSignal },
  onEvent: (event: string, data: unknown) => void,
): Promise<void> {
  const response = await check(
    await fetch(path, {
      method: init.method ?? 'GET',
      headers: headers(init.body === undefined ? {} : { 'content-type': 'application/json' }),
      ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
      ...(init.signal ? { signal: init.signal } : {}),
    }),
  );
  const reader = response.body?.pipeThrough(new TextDecoderStream()).getReader();
  if (!reader) return;
  let buffer = '';
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    buffer += value;
    let end = buffer.indexOf('\n\n');
    while (end >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      let event = 'message';
      let data = '';
      for (const line of block.split('\n')) {
        if (line.startsWith('event: ')) event = line.slice(7);
        else if (line.startsWith('data: ')) data += line.slice(6);
      }
      onEvent(event, data ? JSON.parse(data) : null);
      end = buffer.indexOf('\n\n');
    }
  }
}
