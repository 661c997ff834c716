import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** How long a form page's token is accepted after the page was served. */
export const FORM_TOKEN_TTL_MS = 60 * 60_000;
/** A token issued "later" than this by a clock ahead of ours (another server process) still counts. */
const CLOCK_SKEW_MS = 5 * 60_000;
const TOKEN = /^v1\.([0-9]{1,13})\.([A-Za-z0-9_-]{22})\.([A-Za-z0-9_-]{43})$/;

export type FormTokenCheck =
  | { ok: true; submissionId: string }
  | { ok: false; reason: 'missing' | 'forged' | 'expired' };

export type FormTokens = {
  /** A new token for one page of this workflow's form: its own submission id, signed, with the time it was issued. */
  issue(workflowId: string, now?: number): string;
  check(workflowId: string, token: unknown, now?: number): FormTokenCheck;
};

/**
 * The hidden token of a hosted form page (CSRF and double submits): `v1.<issued ms>.<submission id>.<HMAC>`, the
 * HMAC over the workflow id, the time and the id with a key derived from the server's secret key, so every server
 * process accepts the tokens of the others. The submission id is the run's dedupe key: a page sent twice starts
 * one run.
 */
export function createFormTokens(secretKey: Buffer): FormTokens {
  const key = createHmac('sha256', secretKey).update('vmesh:form-token:v1').digest();
  const mac = (workflowId: string, issuedAt: string, submissionId: string) =>
    createHmac('sha256', key).update(`${workflowId}\n${issuedAt}\n${submissionId}`).digest('base64url');
  return {
    issue(workflowId, now = Date.now()) {
      const issuedAt = String(now);
      const submissionId = randomBytes(16).toString('base64url');
      return `v1.${issuedAt}.${submissionId}.${mac(workflowId, issuedAt, submissionId)}`;
    },
    check(workflowId, token, now = Date.now()) {
      if (typeof token !== 'string' || token === '') return { ok: false, reason: 'missing' };
      const parts = TOKEN.exec(token);
      if (!parts) return { ok: false, reason: 'forged' };
      const [, issuedAt = '', submissionId = '', given = ''] = parts;
      const expected = Buffer.from(mac(workflowId, issuedAt, submissionId));
      if (!timingSafeEqual(expected, Buffer.from(given))) return { ok: false, reason: 'forged' };
      const age = now - Number(issuedAt);
      if (age > FORM_TOKEN_TTL_MS || age < -CLOCK_SKEW_MS) return { ok: false, reason: 'expired' };
      return { ok: true, submissionId };
    },
  };
}
