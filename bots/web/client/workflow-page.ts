import type { WorkflowDocument } from '../../../runtime/workflow/index.ts';
import type { RunSummary } from '../../workflow-port.ts';
import { getJson, postJson, sendJson } from './api.ts';
import { renderDocumentDiff } from './diff-view.ts';
import { h } from './dom.ts';
import { errorNote } from './error-note.ts';
import { renderWorkflowGraph } from './graph.ts';
import { runsTable, statusBadge } from './runs-page.ts';

// A workflow's page: its hook URL and secret (on request), run now, pause/resume, rename, delete, and its versions with
// their diffs and roll back. Every action goes to /chat/api (bots/web/register-console-routes.ts).

type Overview = {
  workflow: {
    id: string;
    name: string;
    description?: string;
    active: boolean;
    triggerType: string;
    version: number;
    scope: string;
    document: WorkflowDocument;
  };
  hook: { url: string; trigger: string; secretIn: 'path' | 'signature'; header?: string } | null;
  form: { url: string } | null;
  may: { start: boolean; activate: boolean; change: boolean; delete: boolean; secret: boolean };
};
type VersionList = { current: number; versions: { version: number; createdAt: string }[] };
type VersionBody = { version: number; document: unknown };

const api = (id: string, rest = '') => `/chat/api/workflows/${encodeURIComponent(id)}${rest}`;

/** Copies text to the clipboard; where the browser refuses, shows it selected in a read-only field instead. */
async function copyText(text: string, status: HTMLElement, what: string): Promise<void> {
  try {
    await navigator.clipboard.writeText(text);
    status.replaceChildren(`${what} copied to the clipboard.`);
  } catch {
    const field = h('input', { type: 'text', readonly: true, 'aria-label': what, class: 'copy-field' });
    field.value = text;
    status.replaceChildren(`The browser would not copy; select and copy the ${what.toLowerCase()}: `, field);
    field.select();
  }
}

/** A panel that asks before an action: what will happen, then Confirm / Cancel (Escape cancels). */
function confirmPanel(options: {
  title: string;
  body: (HTMLElement | string)[];
  confirmLabel: string;
  danger?: boolean;
  onConfirm: () => Promise<void>;
  onCancel: () => void;
}): HTMLElement {
  const status = h('div', { role: 'status' });
  const confirm = h(
    'button',
    { type: 'button', class: options.danger ? 'danger' : 'primary', 'data-testid': 'confirm' },
    options.confirmLabel,
  );
  const cancel = h('button', { type: 'button', onclick: () => options.onCancel() }, 'Cancel');
  confirm.addEventListener('click', () => {
    confirm.disabled = true;
    status.replaceChildren('Working…');
    options.onConfirm().catch((error: unknown) => {
      confirm.disabled = false;
      status.replaceChildren(errorNote(error));
    });
  });
  const panel = h(
    'section',
    { class: 'confirm-panel', role: 'group', 'aria-label': options.title, 'data-testid': 'confirm-panel' },
    h('h3', {}, options.title),
    ...options.body,
    h('div', { class: 'actions' }, confirm, cancel),
    status,
  );
  panel.addEventListener('keydown', (event) => {
    if (event.key === 'Escape') options.onCancel();
  });
  queueMicrotask(() => confirm.focus());
  return panel;
}

/** The optional trigger data of "Run now", checked as JSON (an object) before it is sent. */
export function parseRunInput(
  text: string,
): { ok: true; value: Record<string, unknown> } | { ok: false; message: string } {
  if (text.trim() === '') return { ok: true, value: {} };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { ok: false, message: `The input is not valid JSON: ${(error as Error).message}` };
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    return { ok: false, message: 'The input must be a JSON object, e.g. {"name": "Ada"}.' };
  return { ok: true, value: value as Record<string, unknown> };
}

function runNowForm(id: string): HTMLElement {
  const errorId = `run-input-error-${id}`;
  const input = h('textarea', {
    id: 'run-input',
    rows: '4',
    class: 'json-input',
    placeholder: '{ "name": "Ada" }',
    'aria-describedby': errorId,
    spellcheck: false,
  });
  const problem = h('div', { id: errorId, 'aria-live': 'assertive' });
  const submit = h('button', { type: 'submit', class: 'primary' }, 'Start the run');
  const form = h(
    'form',
    {
      class: 'run-now',
      'aria-label': 'Run now',
      onsubmit: (event) => {
        event.preventDefault();
        const parsed = parseRunInput(input.value);
        if (!parsed.ok) {
          input.setAttribute('aria-invalid', 'true');
          problem.replaceChildren(h('p', { class: 'error', role: 'alert' }, parsed.message));
          input.focus();
          return;
        }
        input.removeAttribute('aria-invalid');
        submit.disabled = true;
        problem.replaceChildren(h('p', { class: 'muted' }, 'Starting…'));
        postJson<{ runId: string }>(api(id, '/runs'), { input: parsed.value })
          .then(({ runId }) => {
            location.hash = `#/runs/${encodeURIComponent(runId)}`;
          })
          .catch((error: unknown) => {
            submit.disabled = false;
            problem.replaceChildren(errorNote(error));
          });
      },
    },
    h('label', { for: 'run-input' }, 'Input (optional JSON object: what the run’s trigger holds)'),
    input,
    problem,
    h('div', { class: 'actions' }, submit),
  );
  return form;
}

/** The inline rename form: an empty name is refused here; anything the server refuses is shown as it says it. */
function renameForm(workflow: Overview['workflow'], done: () => void, cancel: () => void): HTMLElement {
  const errorId = `rename-error-${workflow.id}`;
  const input = h('input', {
    id: 'rename-input',
    type: 'text',
    'aria-describedby': errorId,
    autocomplete: 'off',
    'data-testid': 'rename-input',
  });
  input.value = workflow.name;
  const problem = h('div', { id: errorId, 'aria-live': 'assertive' });
  const submit = h('button', { type: 'submit', class: 'primary' }, 'Save name');
  const form = h(
    'form',
    {
      class: 'rename',
      'aria-label': 'Rename',
      onsubmit: (event) => {
        event.preventDefault();
        if (input.value.trim() === '') {
          input.setAttribute('aria-invalid', 'true');
          problem.replaceChildren(h('p', { class: 'error', role: 'alert' }, 'The name cannot be empty.'));
          input.focus();
          return;
        }
        input.removeAttribute('aria-invalid');
        submit.disabled = true;
        problem.replaceChildren(h('p', { class: 'muted' }, 'Renaming…'));
        sendJson('PATCH', api(workflow.id), { name: input.value })
          .then(done)
          .catch((error: unknown) => {
            submit.disabled = false;
            input.setAttribute('aria-invalid', 'true');
            problem.replaceChildren(errorNote(error));
          });
      },
    },
    h('label', { for: 'rename-input' }, 'New name'),
    input,
    problem,
    h(
      'div',
      { class: 'actions' },
      submit,
      h('button', { type: 'button', onclick: () => cancel() }, 'Cancel'),
    ),
  );
  form.addEventListener('keydown', (event) => {
    if (event.key === 'Escape') cancel();
  });
  return form;
}

function hookSection(overview: Overview): HTMLElement | null {
  const { hook, form, workflow, may } = overview;
  if (!hook && !form) return null;
  const status = h('p', { class: 'muted', role: 'status', 'data-testid': 'copy-status' });
  // The secret is asked for when the button is pressed and goes to the clipboard; the page never holds it before.
  const secret = async () =>
    (await postJson<{ secret: string }>(api(workflow.id, '/hook-secret'), {})).secret;
  const copySecret = (compose: (value: string) => string, what: string) => () => {
    secret()
      .then((value) => copyText(compose(value), status, what))
      .catch((error: unknown) => status.replaceChildren(errorNote(error)));
  };
  const rows: HTMLElement[] = [];
  if (hook) {
    rows.push(
      h(
        'div',
        { class: 'hook-row' },
        h('span', { class: 'muted' }, 'Webhook URL '),
        h(
          'code',
          { class: 'hook-url', 'data-testid': 'hook-url' },
          hook.secretIn === 'path' ? `${hook.url}/<secret>` : hook.url,
        ),
        h(
          'button',
          { type: 'button', onclick: () => void copyText(hook.url, status, 'Webhook URL') },
          'Copy URL',
        ),
      ),
    );
    if (may.secret) {
      rows.push(
        h(
          'div',
          { class: 'hook-row' },
          hook.secretIn === 'path'
            ? h(
                'button',
                {
                  type: 'button',
                  'data-testid': 'copy-secret',
                  onclick: copySecret((value) => `${hook.url}/${value}`, 'Webhook URL with its secret'),
                },
                'Copy URL with secret',
              )
            : h(
                'button',
                {
                  type: 'button',
                  'data-testid': 'copy-secret',
                  onclick: copySecret((value) => value, 'Webhook secret'),
                },
                'Copy secret',
              ),
          h(
            'span',
            { class: 'muted' },
            hook.secretIn === 'path'
              ? ' The secret is the URL’s last segment.'
              : hook.header
                ? ` Send it in the ${hook.header} header, or sign the body with it.`
                : ' Give it to the sender as its signing secret.',
          ),
        ),
      );
    } else {
      rows.push(h('p', { class: 'muted' }, 'Only the workflow’s owner or an admin can copy its secret.'));
    }
  }
  if (form) {
    rows.push(
      h(
        'div',
        { class: 'hook-row' },
        h('span', { class: 'muted' }, 'Form '),
        h('a', { href: form.url, target: '_blank', rel: 'noopener' }, form.url),
      ),
    );
  }
  return h(
    'section',
    { class: 'panel', 'aria-labelledby': 'hook-title' },
    h('h2', { id: 'hook-title' }, hook ? 'Webhook' : 'Form'),
    ...rows,
    status,
  );
}

async function versionDocument(id: string, version: number): Promise<unknown> {
  return (await getJson<VersionBody>(api(id, `/versions/${version}`))).document;
}

function versionsSection(overview: Overview, list: VersionList, reload: () => void): HTMLElement {
  const { workflow, may } = overview;
  const items = list.versions.map((entry) => {
    const slot = h('div', { class: 'version-slot' });
    const compare = h(
      'button',
      { type: 'button', 'aria-expanded': 'false', 'data-testid': 'compare' },
      'Show changes',
    );
    compare.addEventListener('click', () => {
      if (compare.getAttribute('aria-expanded') === 'true') {
        compare.setAttribute('aria-expanded', 'false');
        compare.textContent = 'Show changes';
        slot.replaceChildren();
        return;
      }
      compare.setAttribute('aria-expanded', 'true');
      compare.textContent = 'Hide changes';
      slot.replaceChildren(h('p', { class: 'muted' }, 'Loading…'));
      Promise.all([
        versionDocument(workflow.id, entry.version - 1),
        versionDocument(workflow.id, entry.version),
      ])
        .then(([before, after]) =>
          slot.replaceChildren(
            renderDocumentDiff(before, after, {
              before: `v${entry.version - 1}`,
              after: `v${entry.version}`,
            }),
          ),
        )
        .catch((error: unknown) => slot.replaceChildren(errorNote(error)));
    });
    const rollBack = h(
      'button',
      { type: 'button', 'data-testid': 'rollback' },
      `Roll back to v${entry.version}`,
    );
    rollBack.addEventListener('click', () => {
      slot.replaceChildren(h('p', { class: 'muted' }, 'Loading the changes…'));
      Promise.all([versionDocument(workflow.id, list.current), versionDocument(workflow.id, entry.version)])
        .then(([current, target]) => {
          slot.replaceChildren(
            confirmPanel({
              title: `Roll back to version ${entry.version}?`,
              body: [
                h(
                  'p',
                  {},
                  `Version ${entry.version}’s document becomes current again as a new version; history is kept.`,
                  workflow.active ? ' The workflow is active: its trigger uses it at once.' : '',
                ),
                renderDocumentDiff(current, target, {
                  before: `v${list.current} (current)`,
                  after: `v${entry.version}`,
                }),
              ],
              confirmLabel: `Roll back to v${entry.version}`,
              onConfirm: async () => {
                await postJson(api(workflow.id, '/rollback'), { toVersion: entry.version });
                reload();
              },
              onCancel: () => {
                slot.replaceChildren();
                rollBack.focus();
              },
            }),
          );
        })
        .catch((error: unknown) => slot.replaceChildren(errorNote(error)));
    });
    return h(
      'li',
      { 'data-testid': 'version', 'data-version': String(entry.version) },
      h('strong', {}, `v${entry.version}`),
      entry.version === list.current ? h('span', { class: 'badge status-active' }, 'current') : null,
      h('span', { class: 'muted' }, ` ${new Date(entry.createdAt).toLocaleString()} `),
      entry.version > 1 ? compare : null,
      entry.version !== list.current && may.change ? rollBack : null,
      slot,
    );
  });
  return h(
    'section',
    { class: 'panel', 'aria-labelledby': 'versions-title' },
    h('h2', { id: 'versions-title' }, 'Versions'),
    h('ol', { class: 'versions', reversed: true }, ...items),
  );
}

function actionsBar(overview: Overview, reload: () => void): HTMLElement {
  const { workflow, may } = overview;
  const slot = h('div', { class: 'action-slot' });
  const status = h('div', { role: 'status' });
  const buttons: HTMLElement[] = [];
  if (may.start) {
    const run = h('button', { type: 'button', class: 'primary', 'aria-expanded': 'false' }, 'Run now');
    run.addEventListener('click', () => {
      const open = run.getAttribute('aria-expanded') === 'true';
      run.setAttribute('aria-expanded', String(!open));
      slot.replaceChildren(...(open ? [] : [runNowForm(workflow.id)]));
      if (!open) slot.querySelector('textarea')?.focus();
    });
    buttons.push(run);
  }
  if (may.activate) {
    buttons.push(
      h(
        'button',
        {
          type: 'button',
          onclick: () => {
            status.replaceChildren('Working…');
            postJson(api(workflow.id, workflow.active ? '/deactivate' : '/activate'), {})
              .then(reload)
              .catch((error: unknown) => status.replaceChildren(errorNote(error)));
          },
        },
        workflow.active ? 'Pause' : 'Resume',
      ),
    );
  }
  if (may.change) {
    const rename = h(
      'button',
      { type: 'button', 'aria-expanded': 'false', 'data-testid': 'rename' },
      'Rename',
    );
    const close = () => {
      rename.setAttribute('aria-expanded', 'false');
      slot.replaceChildren();
      rename.focus();
    };
    rename.addEventListener('click', () => {
      if (rename.getAttribute('aria-expanded') === 'true') return close();
      rename.setAttribute('aria-expanded', 'true');
      slot.replaceChildren(renameForm(workflow, reload, close));
      slot.querySelector('input')?.select();
    });
    buttons.push(rename);
  }
  if (may.delete) {
    const remove = h('button', { type: 'button', class: 'danger' }, 'Delete');
    remove.addEventListener('click', () => {
      slot.replaceChildren(
        confirmPanel({
          title: `Delete “${workflow.name}”?`,
          body: [h('p', {}, 'It stops and disappears from the lists; its runs keep their records.')],
          confirmLabel: 'Delete workflow',
          danger: true,
          onConfirm: async () => {
            await sendJson('DELETE', api(workflow.id));
            location.hash = '#/workflows';
          },
          onCancel: () => {
            slot.replaceChildren();
            remove.focus();
          },
        }),
      );
    });
    buttons.push(remove);
  }
  return h('div', { class: 'workflow-actions' }, h('div', { class: 'actions' }, ...buttons), status, slot);
}

/** Draws the workflow page into `main`; its actions redraw it. */
export async function workflowPage(main: HTMLElement, id: string): Promise<void> {
  const [overview, versions, { runs }] = await Promise.all([
    getJson<Overview>(api(id, '/overview')),
    getJson<VersionList>(api(id, '/versions')),
    getJson<{ runs: RunSummary[] }>(`/chat/api/runs?workflowId=${encodeURIComponent(id)}&limit=10`),
  ]);
  const reload = () =>
    void workflowPage(main, id).catch((error: unknown) => main.replaceChildren(errorNote(error)));
  const { workflow } = overview;
  const graph = h('div', { class: 'graph', 'data-testid': 'graph' });
  main.replaceChildren(
    h('h1', { tabindex: '-1' }, workflow.name, ' ', statusBadge(workflow.active ? 'active' : 'inactive')),
    h(
      'p',
      { class: 'muted' },
      `Version ${workflow.version} · trigger: ${workflow.triggerType} · ${workflow.scope === 'private' ? 'private' : 'shared with the workspace'}`,
    ),
    workflow.description ? h('p', {}, workflow.description) : '',
    actionsBar(overview, reload),
    hookSection(overview) ?? '',
    graph,
    h(
      'section',
      { class: 'panel', 'aria-labelledby': 'recent-title' },
      h('h2', { id: 'recent-title' }, 'Recent runs'),
      runs.length ? runsTable(runs, { showWorkflow: false }) : h('p', {}, 'No runs yet.'),
      h(
        'p',
        {},
        h('a', { href: `#/runs?workflowId=${encodeURIComponent(id)}` }, 'All runs of this workflow'),
      ),
    ),
    versionsSection(overview, versions, reload),
    h(
      'details',
      {},
      h('summary', {}, 'Workflow document'),
      h('pre', {}, JSON.stringify(workflow.document, null, 2)),
    ),
  );
  await renderWorkflowGraph(graph, workflow.document);
}
