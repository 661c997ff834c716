import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Principal } from '../../access/index.ts';
import { approvalLinkHash, type ProposalView, type Reply, toProposalReply } from '../../agent/index.ts';
import { escapeHtml } from '../../lib/index.ts';

/** What the approval-link pages need from the conversation service. */
export type ApprovalLinkPort = {
  openApprovalLink(
    token: string,
    viewer: Principal,
  ): Promise<{ proposal: ProposalView; userId: string } | undefined>;
  decideByLink(token: string, decision: 'approve' | 'reject', principal: Principal): Promise<Reply[]>;
};

const Token = z.string().regex(/^[A-Za-z0-9_-]{20,64}$/);
const DecisionForm = z.object({ decision: z.enum(['approve', 'reject']), form: z.string().min(1).max(200) });

function page(reply: FastifyReply, status: number, title: string, body: string) {
  return (
    reply
      .code(status)
      .type('text/html; charset=utf-8')
      .header('cache-control', 'no-store')
      // The token is in the path: never leak it to another site, never render inside a frame.
      .header('referrer-policy', 'no-referrer')
      .header(
        'content-security-policy',
        "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
      )
      .header('x-frame-options', 'DENY')
      .send(
        `<!doctype html><html><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head>` +
          `<body style="font-family:sans-serif;max-width:48rem;margin:2rem auto">${body}</body></html>`,
      )
  );
}

/**
 * One-time approval links, `/approve/<token>`: an assistant over MCP cannot approve, it hands the person a link.
 * Only a person signed in in a browser (a web session; never a bearer token, which the assistant may hold) sees
 * the card and decides: GET shows it with an Approve/Reject form, POST decides once, with a form token signed by
 * this server (CSRF), as the signed-in person, and the approval policy has the last word. Without a session the
 * page says how to sign in, and the link stays unused.
 */
export async function registerApprovalLinks(app: FastifyInstance, port: ApprovalLinkPort): Promise<void> {
  const key = randomBytes(32);
  // Bound to the link and to the signed-in session that opened the page: another site cannot make one.
  const formToken = (token: string, principal: Principal) =>
    createHmac('sha256', key)
      .update(`approval-form:${approvalLinkHash(token)}:${principal.identity}`)
      .digest('base64url');
  const formTokenValid = (token: string, principal: Principal, given: string) => {
    const expected = Buffer.from(formToken(token, principal));
    const actual = Buffer.from(given);
    return expected.length === actual.length && timingSafeEqual(expected, actual);
  };
  const gone = (reply: FastifyReply) =>
    page(
      reply,
      410,
      'Link expired',
      '<h1>This approval link was already used or has expired.</h1><p>Ask the assistant for a new one.</p>',
    );

  const signInFirst = (reply: FastifyReply) =>
    page(
      reply,
      401,
      'Sign in first',
      '<h1>Sign in to decide this proposal.</h1><p>Open this server&#39;s web page and sign in (with your ' +
        'organisation&#39;s sign-in, or a link from <code>vmesh login-link NAME</code>), then open this link again ' +
        'in the same browser. The link stays valid until it expires.</p>',
    );

  app.get('/approve/:token', async (request: FastifyRequest, reply) => {
    const token = Token.safeParse((request.params as { token?: unknown }).token);
    if (!token.success) return gone(reply);
    const viewer = request.principal;
    if (!viewer?.browserSession) return signInFirst(reply);
    const link = await port.openApprovalLink(token.data, viewer);
    if (link?.proposal.status !== 'pending') return gone(reply);
    const card = toProposalReply(link.proposal);
    const document = link.proposal.document
      ? `<details><summary>Document</summary><pre>${escapeHtml(JSON.stringify(link.proposal.document, null, 2))}</pre></details>`
      : '';
    return page(
      reply,
      200,
      `Approve: ${card.title}`,
      `<h1>${escapeHtml(card.title)}</h1><p>Proposal ${escapeHtml(link.proposal.id)} (${escapeHtml(link.proposal.kind)})</p>` +
        `<pre style="white-space:pre-wrap">${escapeHtml(card.summary)}</pre>${document}` +
        `<form method="post"><input type="hidden" name="form" value="${formToken(token.data, viewer)}">` +
        '<button name="decision" value="approve">Approve</button> <button name="decision" value="reject">Reject</button></form>',
    );
  });

  await app.register(async (scope) => {
    const FORM = 'application/x-www-form-urlencoded';
    if (!scope.hasContentTypeParser(FORM)) {
      scope.addContentTypeParser(FORM, { parseAs: 'string', bodyLimit: 4096 }, (_request, body, done) =>
        done(null, String(body)),
      );
    }
    scope.post('/approve/:token', async (request, reply) => {
      const token = Token.safeParse((request.params as { token?: unknown }).token);
      if (!token.success) return gone(reply);
      const decider = request.principal;
      if (!decider?.browserSession) return signInFirst(reply);
      // A form body, parsed here or by a parser the server already has.
      const raw = request.body;
      const form = DecisionForm.safeParse(
        typeof raw === 'string' || Buffer.isBuffer(raw)
          ? Object.fromEntries(new URLSearchParams(String(raw)))
          : raw,
      );
      if (!form.success || !formTokenValid(token.data, decider, form.data.form))
        return page(
          reply,
          403,
          'Refused',
          '<h1>This form did not come from the approval page.</h1><p>Open the link again.</p>',
        );
      const replies = await port.decideByLink(token.data, form.data.decision, decider);
      const error = replies.find((item) => item.type === 'error');
      if (error?.type === 'error') {
        const status = error.code === 'E_LINK_EXPIRED' ? 410 : error.code === 'E_FORBIDDEN' ? 403 : 409;
        return page(
          reply,
          status,
          'Not decided',
          `<h1>Not decided</h1><p>${escapeHtml(error.message)}</p>${error.hint ? `<p>${escapeHtml(error.hint)}</p>` : ''}`,
        );
      }
      const text = replies
        .map((item) => (item.type === 'text' ? item.text : item.type === 'run_update' ? item.message : ''))
        .join(' ');
      return page(reply, 200, 'Decided', `<h1>Done</h1><p>${escapeHtml(text)}</p>`);
    });
  });
}
