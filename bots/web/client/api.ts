/**
 * The page's HTTP client: the session cookie goes along by itself (HttpOnly: this code never sees it); every
 * state-changing request carries the session's CSRF token. JSON routes, and SSE read from fetch streams.
 */
let csrfToken: string | undefined;

export class UnauthorizedError extends Error {}

/** An API refusal with what the server said: its code, message, hint and details (e.g. the workflows in the way). */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string | undefined;
  readonly hint: string | undefined;
  readonly details: Record<string, unknown>;
  constructor(
    status: number,
    body: { code?: string; message?: string; hint?: string; details?: Record<string, unknown> },
  ) {
    super(body.message ?? `Request failed with HTTP ${status}`);
    this.status = status;
    this.code = body.code;
    this.hint = body.hint;
    this.details = body.details ?? {};
  }
}

/** How this server lets people sign in (from GET /auth/session). */
export type SignInMethods = { oidc: boolean; loginLink: boolean };
export type SessionInfo =
  | {
      signedIn: true;
      /** Undefined when this server has no sign-in routes (nothing to show). */
      user: { id: string; name: string; role: string } | undefined;
      /** False for a token (no web session): nothing to sign out of. */
      hasSession: boolean;
      signIn: SignInMethods;
    }
  | { signedIn: false; signIn: SignInMethods };

type SessionBody = {
  user?: { id: string; name: string; role: string };
  session?: { csrfToken: string } | null;
  signIn?: SignInMethods;
};

/** Who is signed in (and the CSRF token for this session), or how to sign in (only a 401 means signed out). */
export async function loadSession(retried = false): Promise<SessionInfo> {
  const response = await fetch('/auth/session', { credentials: 'same-origin' });
  const body = (await response.json().catch(() => ({}))) as SessionBody;
  const signIn = body.signIn ?? { oidc: false, loginLink: true };
  // A 401 clears an ended session's cookie; asked again without it, a token in the page's requests may still answer.
  if (response.status === 401 && !retried && response.headers.has('x-vmesh-cleared-session'))
    return loadSession(true);
  if (response.status === 401) return { signedIn: false, signIn };
  csrfToken = body.session?.csrfToken;
  return {
    signedIn: true,
    user: response.ok ? body.user : undefined,
    hasSession: Boolean(body.session),
    signIn,
  };
}

export async function signOut(): Promise<void> {
  await fetch('/auth/logout', { method: 'POST', headers: headers() });
  csrfToken = undefined;
}

function headers(extra: Record<string, string> = {}): Record<string, string> {
  return { ...extra, ...(csrfToken ? { 'x-csrf-token': csrfToken } : {}) };
}

async function check(response: Response): Promise<Response> {
  if (response.status === 401) throw new UnauthorizedError('Sign in to continue.');
  if (!response.ok) {
    // /api answers { error: { code, message, hint, details } }; /chat/api { error: CODE, message }.
    const body = (await response.json().catch(() => ({}))) as {
      message?: string;
      error?: string | { code?: string; message?: string; hint?: string; details?: Record<string, unknown> };
    };
    throw new ApiError(
      response.status,
      typeof body.error === 'object'
        ? body.error
        : {
            ...(body.error ? { code: body.error } : {}),
            ...(body.message ? { message: body.message } : {}),
          },
    );
  }
  return response;
}

export async function getJson<T>(path: string): Promise<T> {
  return (await (await check(await fetch(path, { headers: headers() }))).json()) as T;
}

export async function postJson<T>(path: string, body: unknown): Promise<T> {
  return sendJson<T>('POST', path, body);
}

/** A state-changing request; `body` undefined sends none. */
export async function sendJson<T>(
  method: 'POST' | 'PATCH' | 'DELETE',
  path: string,
  body?: unknown,
): Promise<T> {
  const response = await fetch(path, {
    method,
    headers: headers(body === undefined ? {} : { 'content-type': 'application/json' }),
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
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
