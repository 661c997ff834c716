import { escapeHtml } from '../../lib/index.ts';

/** Only the page itself: no scripts, inline styles, forms posting to this origin only. */
export const AUTH_PAGE_CSP =
  "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

export type AuthPage = {
  title: string;
  message: string;
  /** Shown as code (a command to run). */
  command?: string | undefined;
  /** A button posting to this same-origin path. */
  form?: { action: string; button: string } | undefined;
  link?: { href: string; text: string } | undefined;
};

/** The small server-rendered pages of sign-in (link confirmation, refusals, failures). */
export function renderAuthPage(page: AuthPage): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(page.title)} · VelocityMesh</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:36rem;margin:4rem auto;padding:0 1rem;color:#1d2230}
code{background:#eef0f4;padding:.1rem .3rem;border-radius:4px;word-break:break-all}
button{font:inherit;padding:.5rem 1.2rem;border-radius:6px;border:1px solid #2f5bd3;background:#2f5bd3;color:#fff}</style>
</head>
<body>
<main>
<h1>${escapeHtml(page.title)}</h1>
<p>${escapeHtml(page.message)}</p>
${page.command ? `<p><code>${escapeHtml(page.command)}</code></p>` : ''}
${page.form ? `<form method="post" action="${escapeHtml(page.form.action)}"><button type="submit">${escapeHtml(page.form.button)}</button></form>` : ''}
${page.link ? `<p><a href="${escapeHtml(page.link.href)}">${escapeHtml(page.link.text)}</a></p>` : ''}
</main>
</body>
</html>
`;
}
