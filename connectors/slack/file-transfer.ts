import { z } from 'zod';
import { rawFileBody } from '../http/file-bodies.ts';
import { ConnectorError, connectorErrorFromStatus } from '../sdk/connector-error.ts';
import type { ConnectorEnvironment } from '../sdk/define.ts';
import type { FilePort, FileRef } from '../sdk/files.ts';
import type { SafeRequestInit } from '../sdk/safe-fetch.ts';
import { SLACK_API_URL } from './client.ts';

// The byte transfers of Slack files, outside the Web API: the POST of an upload's bytes to the URL that
// files.getUploadURLExternal answered, and the GET of a file's url_private with the bot token. Both go through
// env.fetch (the SSRF guard) and only to Slack's file host: a URL in an answer or in the workflow is never trusted
// as it is, and the bot token goes to no other host.

/** Slack's file host: upload URLs and url_private / url_private_download are on it. */
export const SLACK_FILES_ORIGIN = 'https://files.slack.com';
/** A transfer may take longer than an API call; the step's own timeout still applies. */
export const SLACK_TRANSFER_TIMEOUT_MS = 300_000;
/** Redirects a download follows (each re-checked); the token goes only to Slack's file host. */
const MAX_DOWNLOAD_REDIRECTS = 3;

/**
 * The origins a file transfer may go to: Slack's file host, and the origin of the configured API base (tests and
 * benches point it at a local fake, which serves files too).
 */
export function slackFileOrigins(env: ConnectorEnvironment): Set<string> {
  const origins = new Set([SLACK_FILES_ORIGIN]);
  const configured = env.baseUrls.slack;
  if (configured && configured !== SLACK_API_URL) origins.add(new URL(configured).origin);
  return origins;
}

function parseUrl(value: string): URL | undefined {
  try {
    return new URL(value);
  } catch {
    return undefined;
  }
}

/** An upload URL from files.getUploadURLExternal, refused unless it is on Slack's file host. */
export function checkedUploadUrl(value: string | undefined, env: ConnectorEnvironment): URL {
  const url = value ? parseUrl(value) : undefined;
  if (!url || !slackFileOrigins(env).has(url.origin) || url.username || url.password) {
    throw new ConnectorError({
      code: 'E_UPSTREAM',
      message: `slack files.getUploadURLExternal answered an upload URL that is not on ${SLACK_FILES_ORIGIN}${url ? ` (${url.origin})` : ''}; nothing was sent to it.`,
      retryable: false,
      hint: 'The answer did not come from Slack as expected: check the network path to slack.com (a proxy rewriting answers?).',
      details: { uploadOrigin: url?.origin ?? null },
    });
  }
  return url;
}

/** A url_private from the workflow or files.info, refused unless it is on Slack's file host. */
export function checkedDownloadUrl(value: string, env: ConnectorEnvironment): URL {
  const url = parseUrl(value);
  if (!url || !slackFileOrigins(env).has(url.origin) || url.username || url.password) {
    throw new ConnectorError({
      code: 'E_PARAMS',
      message: `slack.downloadFile: ${url ? url.origin : 'the url'} is not Slack's file host (${SLACK_FILES_ORIGIN}); the bot token is only sent there.`,
      retryable: false,
      hint: 'Give the url_private (or url_private_download) of a Slack file, e.g. {{ trigger.files[0].url_private }}, or its id as `fileId`. For other URLs use http.request with responseType "file".',
      details: { origin: url?.origin ?? null },
    });
  }
  return url;
}

/** Maps a non-2xx answer of Slack's file host (the body is not read: it is an HTML page or a short text). */
function transferError(response: Response, what: string): ConnectorError {
  return connectorErrorFromStatus({
    connector: 'slack',
    status: response.status,
    message: `${what} answered HTTP ${response.status}`,
    retryAfter: response.headers.get('retry-after'),
    hint:
      response.status === 429
        ? 'Slack is rate limiting this app; the step is retried after the wait Slack asked for.'
        : response.status === 401 || response.status === 403
          ? 'Slack refused the bot token for this file: check the app has the files:read scope and can see the channel the file was shared in.'
          : response.status === 404
            ? 'The file is gone or the URL is wrong: use the url_private (or the id) of an existing file.'
            : undefined,
  });
}

/**
 * POSTs the stored file's bytes to the upload URL, streamed from the run's store with its exact length. No token
 * goes with it (the URL itself authorises the upload), and no redirect is followed (the stream is read once).
 */
export async function sendUploadBytes(
  call: { env: ConnectorEnvironment; files: FilePort; signal: AbortSignal },
  uploadUrl: URL,
  ref: FileRef,
): Promise<void> {
  const body = await rawFileBody(call.files, ref);
  let response: Response;
  try {
    response = await call.env.fetch(uploadUrl, {
      method: 'POST',
      headers: { 'content-type': body.contentType, 'content-length': String(body.length) },
      body: body.stream,
      duplex: 'half',
      redirect: 'error',
      signal: call.signal,
      timeoutMs: SLACK_TRANSFER_TIMEOUT_MS,
    } as SafeRequestInit);
  } catch (error) {
    await body.stream.cancel().catch(() => {});
    throw error;
  }
  // Read to the end (a short "OK - <length>"): the streamed exchange finishes cleanly.
  await response.arrayBuffer().catch(() => {});
  if (response.status !== 200) throw transferError(response, `the upload of "${ref.name}" to Slack`);
}

/** What a download got: the open answer, its file name hint and type. */
export type SlackDownload = { response: Response; url: URL };

/**
 * GETs a Slack file with the bot token. Redirects are followed by hand: the token goes along only while the
 * target is Slack's file host, and is dropped for good once a hop leaves it.
 */
export async function openSlackDownload(
  call: { env: ConnectorEnvironment; signal: AbortSignal; token: string },
  start: URL,
): Promise<SlackDownload> {
  const origins = slackFileOrigins(call.env);
  let url = start;
  let withToken = true;
  for (let hop = 0; ; hop++) {
    withToken = withToken && origins.has(url.origin);
    const response = await call.env.fetch(url, {
      headers: withToken ? { authorization: `Bearer ${call.token}` } : {},
      redirect: 'manual',
      signal: call.signal,
      timeoutMs: SLACK_TRANSFER_TIMEOUT_MS,
      // The file store caps what is written; the transfer is streamed into it.
      maxResponseBytes: Number.MAX_SAFE_INTEGER,
      credentialHeaders: ['authorization'],
    } as SafeRequestInit);
    const location = response.headers.get('location');
    if (response.status >= 300 && response.status < 400 && location) {
      await response.body?.cancel().catch(() => {});
      if (hop >= MAX_DOWNLOAD_REDIRECTS) {
        throw new ConnectorError({
          code: 'E_TOO_MANY_REDIRECTS',
          message: `slack.downloadFile: more than ${MAX_DOWNLOAD_REDIRECTS} redirects starting at ${start.origin}.`,
          retryable: false,
          hint: 'Use the url_private_download of the file, or its id as `fileId`.',
        });
      }
      url = new URL(location, url);
      continue;
    }
    if (!response.ok) {
      await response.body?.cancel().catch(() => {});
      throw transferError(response, `the download of ${url.origin}${url.pathname}`);
    }
    // Without a valid token (or the files:read scope) Slack answers 200 with its sign-in page instead of the file.
    if (/^text\/html\b/i.test(response.headers.get('content-type') ?? '')) {
      await response.body?.cancel().catch(() => {});
      throw new ConnectorError({
        code: 'E_AUTH',
        message:
          'slack.downloadFile: Slack answered its sign-in page instead of the file: the bot token was not accepted for it.',
        retryable: false,
        hint: 'Give the Slack app the files:read scope, reinstall it and store the new token (`vmesh credentials set NAME --type slack`); the app must be able to see the channel the file was shared in.',
      });
    }
    return { response, url };
  }
}

/** The part of files.info's `file` a download needs. */
export const SlackFileInfo = z.object({
  id: z.string(),
  name: z.string().optional(),
  title: z.string().optional(),
  mimetype: z.string().optional(),
  size: z.number().optional(),
  url_private: z.string().optional(),
  url_private_download: z.string().optional(),
});
export type SlackFileInfo = z.infer<typeof SlackFileInfo>;
