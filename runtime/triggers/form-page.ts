import { escapeHtml } from '../../lib/index.ts';
import type { FormField, FormTriggerWith } from '../workflow/form-trigger-with.ts';
import { fieldMaxLength } from '../workflow/form-trigger-with.ts';
import type { FieldProblem } from './form-submission.ts';

/** The hidden field that carries the page's form token; field names start with a letter, so none collides. */
export const FORM_TOKEN_FIELD = '_vmesh_form';

/** The page itself and nothing else: no scripts, no resources from anywhere, posts to this origin only. */
export const FORM_PAGE_CSP =
  "default-src 'none'; style-src 'unsafe-inline'; img-src 'none'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

const STYLE = `*{box-sizing:border-box}
body{font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;padding:1.5rem 1rem 3rem;color:#1d2230;background:#f6f7f9}
main{max-width:36rem;margin:0 auto;background:#fff;border:1px solid #d8dce3;border-radius:10px;padding:1.25rem}
h1{font-size:1.5rem;line-height:1.25;margin:0 0 .5rem;overflow-wrap:anywhere}
.description,.message{white-space:pre-line;overflow-wrap:anywhere}
.field{margin:1.1rem 0}
label{display:block;font-weight:600;margin-bottom:.3rem;overflow-wrap:anywhere}
.check{display:flex;gap:.6rem;align-items:flex-start}
.check label{font-weight:normal;margin:0}
.check input{width:1.4rem;height:1.4rem;margin:.1rem 0 0;flex:none}
input:not([type=checkbox]),select,textarea{display:block;width:100%;font:inherit;padding:.6rem .7rem;min-height:2.75rem;border:1px solid #8a93a3;border-radius:6px;background:#fff;color:inherit}
textarea{min-height:7rem;resize:vertical}
:focus-visible{outline:3px solid #2f5bd3;outline-offset:2px}
[aria-invalid=true]{border-color:#b3261e;border-width:2px}
.error{color:#b3261e;margin:.3rem 0 0}
.req{color:#b3261e}
.errors{border:2px solid #b3261e;border-radius:6px;padding:.75rem 1rem;margin:1rem 0}
.errors h2{font-size:1.05rem;margin:0 0 .3rem}
.errors ul{margin:0;padding-left:1.2rem}
button{font:inherit;font-weight:600;width:100%;min-height:2.75rem;padding:.6rem 1.2rem;border-radius:6px;border:1px solid #2f5bd3;background:#2f5bd3;color:#fff;cursor:pointer}
@media (min-width:30rem){button{width:auto}}`;

function document(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<main>
${body}
</main>
</body>
</html>
`;
}

const idOf = (field: FormField) => `f-${field.name}`;

function control(field: FormField, value: string | undefined, problem: FieldProblem | undefined): string {
  const id = idOf(field);
  const aria = problem ? ` aria-invalid="true" aria-describedby="${id}-error"` : '';
  const required = field.required ? ' required' : '';
  const shown = escapeHtml(value ?? '');
  const name = escapeHtml(field.name);
  switch (field.type) {
    case 'checkbox':
      return `<input type="checkbox" id="${id}" name="${name}" value="on"${value ? ' checked' : ''}${required}${aria}>`;
    case 'textarea':
      return `<textarea id="${id}" name="${name}" rows="5" maxlength="${fieldMaxLength(field)}"${required}${aria}>${shown}</textarea>`;
    case 'select': {
      const options = (field.options ?? [])
        .map((option) => {
          const text = escapeHtml(option);
          return `<option value="${text}"${option === value ? ' selected' : ''}>${text}</option>`;
        })
        .join('');
      return `<select id="${id}" name="${name}"${required}${aria}><option value="">Choose…</option>${options}</select>`;
    }
    case 'number':
      return `<input type="number" id="${id}" name="${name}" step="any" inputmode="decimal" value="${shown}"${required}${aria}>`;
    case 'file': {
      const accept = field.accept ? ` accept="${escapeHtml(field.accept.join(','))}"` : '';
      return `<input type="file" id="${id}" name="${name}"${accept}${field.multiple ? ' multiple' : ''}${required}${aria}>`;
    }
    case 'date':
      return `<input type="date" id="${id}" name="${name}" value="${shown}"${required}${aria}>`;
    case 'email':
      return `<input type="email" id="${id}" name="${name}" autocomplete="email" maxlength="${fieldMaxLength(field)}" value="${shown}"${required}${aria}>`;
    default:
      return `<input type="text" id="${id}" name="${name}" maxlength="${fieldMaxLength(field)}" value="${shown}"${required}${aria}>`;
  }
}

function fieldBlock(field: FormField, value: string | undefined, problem: FieldProblem | undefined): string {
  const id = idOf(field);
  const mark = field.required ? ' <span class="req" aria-hidden="true">*</span>' : '';
  const label = `<label for="${id}">${escapeHtml(field.label)}${mark}</label>`;
  const error = problem ? `<p class="error" id="${id}-error">${escapeHtml(problem.message)}</p>` : '';
  if (field.type === 'checkbox') {
    return `<div class="field"><div class="check">${control(field, value, problem)}${label}</div>${error}</div>`;
  }
  return `<div class="field">${label}${control(field, value, problem)}${error}</div>`;
}

export type FormPage = {
  form: FormTriggerWith;
  /** Where the form posts: its own path. */
  action: string;
  token: string;
  /** What was sent, shown again after a refused submission (nothing is lost). */
  values?: Readonly<Record<string, string>>;
  problems?: readonly FieldProblem[];
  /** Said above the form when it is sent again for another reason than its answers (an expired page). */
  notice?: string | undefined;
};

/** The hosted form: labels tied to their inputs, native validation, the server's errors announced and linked. */
export function renderFormPage(page: FormPage): string {
  const problems = page.problems ?? [];
  const problemOf = (field: FormField) => problems.find((problem) => problem.name === field.name);
  const summary =
    problems.length === 0
      ? ''
      : `<div class="errors" role="alert"><h2>${problems.length === 1 ? 'One answer needs' : `${problems.length} answers need`} fixing</h2><ul>${problems
          .map(
            (problem) =>
              `<li><a href="#f-${escapeHtml(problem.name)}">${escapeHtml(problem.message)}</a></li>`,
          )
          .join('')}</ul></div>`;
  const notice = page.notice ? `<p class="errors" role="alert">${escapeHtml(page.notice)}</p>` : '';
  const description = page.form.description
    ? `<p class="description">${escapeHtml(page.form.description)}</p>`
    : '';
  const required = page.form.fields.some((field) => field.required)
    ? '<p><span class="req" aria-hidden="true">*</span> required</p>'
    : '';
  const fields = page.form.fields
    .map((field) => fieldBlock(field, page.values?.[field.name], problemOf(field)))
    .join('\n');
  // Files only travel in a multipart body; a form without file fields posts urlencoded as before.
  const enctype = page.form.fields.some((field) => field.type === 'file')
    ? ' enctype="multipart/form-data"'
    : '';
  return document(
    page.form.title,
    `<h1>${escapeHtml(page.form.title)}</h1>
${description}${notice}${summary}${required}
<form method="post" action="${escapeHtml(page.action)}" accept-charset="utf-8"${enctype}>
<input type="hidden" name="${FORM_TOKEN_FIELD}" value="${escapeHtml(page.token)}">
${fields}
<button type="submit">Send</button>
</form>`,
  );
}

/** A page with a heading and a message: the thank-you page, and every refusal a browser gets. */
export function renderMessagePage(title: string, message: string): string {
  return document(
    title,
    `<h1>${escapeHtml(title)}</h1>\n<p class="message" role="status">${escapeHtml(message)}</p>`,
  );
}
