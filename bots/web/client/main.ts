import type { RunDetail, RunSummary, WorkflowDetail, WorkflowSummary } from '../../workflow-port.ts';
import {
  getJson,
  loadSession,
  type SessionInfo,
  type SignInMethods,
  signOut,
  streamEvents,
  UnauthorizedError,
} from './api.ts';
import { chatView } from './chat-view.ts';
import { credentialsView } from './credentials.ts';
import { h } from './dom.ts';
import { errorNote } from './error-note.ts';
import { renderWorkflowGraph } from './graph.ts';
import { renderAgentCalls, renderApprovalCard, renderFiles } from './run-steps.ts';

const main = document.getElementById('main') as HTMLElement;
let runStream: AbortController | undefined;
/** Aborted when the page goes to another route: listeners a view added end with it. */
let viewScope: AbortController | undefined;

/** Shown instead of the app when this server needs a sign-in and nobody is signed in. */
function signInView(methods: SignInMethods): void {
  const returnTo = `/${location.hash}`;
  main.replaceChildren(
    h(
      'section',
      { class: 'card sign-in', 'aria-labelledby': 'sign-in-title' },
      h('h1', { id: 'sign-in-title' }, 'Sign in'),
      methods.oidc
        ? h(
            'p',
            {},
            h(
              'a',
              { class: 'button', href: `/auth/oidc/login?returnTo=${encodeURIComponent(returnTo)}` },
              'Sign in with your organization',
            ),
          )
        : null,
      h(
        'p',
        {},
        methods.oidc ? 'No account there? ' : '',
        'Ask for a one-time sign-in link, made where the server runs:',
      ),
      h('pre', {}, h('code', {}, 'vmesh login-link YOUR-NAME')),
      h(
        'p',
        { class: 'muted' },
        'The server’s owner: open the sign-in link that npm start printed, or make a new one with:',
      ),
      h('pre', {}, h('code', {}, 'vmesh login-link owner')),
    ),
  );
}

function showSignedIn(session: Extract<SessionInfo, { signedIn: true }>): void {
  const nav = document.querySelector('header.top');
  if (!session.user || !nav || nav.querySelector('.who')) return;
  const who = h('span', { class: 'who', 'data-testid': 'who' }, session.user.name);
  const out = session.hasSession
    ? h(
        'button',
        {
          type: 'button',
          class: 'sign-out',
          onclick: () => void signOut().then(() => location.reload()),
        },
        'Sign out',
      )
    : null;
  nav.append(h('span', { class: 'account' }, who, out));
}

function showError(target: HTMLElement, error: unknown): void {
  const alert = (text: string) => target.replaceChildren(h('p', { class: 'error', role: 'alert' }, text));
  if (!(error instanceof UnauthorizedError)) {
    target.replaceChildren(errorNote(error));
    return;
  }
  // The session ended (signed out elsewhere, expired): show the sign-in page.
  void loadSession()
    .catch(() => undefined)
    .then((session) => {
      if (session?.signedIn) alert('This server refused the request for your sign-in.');
      else signInView(session?.signIn ?? { oidc: false, loginLink: true });
    });
}

const statusBadge = (status: string) =>
  h('span', { class: `badge status-${status.replace(/[^a-z_]/g, '')}` }, status);

// ---------- workflows and runs ----------

async function workflowsView(): Promise<void> {
  const { workflows } = await getJson<{ workflows: WorkflowSummary[] }>('/chat/api/workflows');
  main.replaceChildren(
    h('h1', {}, 'Workflows'),
    workflows.length === 0
      ? h('p', {}, 'No workflows yet. Describe one in the chat.')
      : h(
          'ul',
          { class: 'list' },
          ...workflows.map((workflow) =>
            h(
              'li',
              {},
              h('a', { href: `#/workflows/${encodeURIComponent(workflow.id)}` }, workflow.name),
              ' ',
              statusBadge(workflow.status),
              h('span', { class: 'muted' }, ` trigger: ${workflow.triggerType}`),
            ),
          ),
        ),
  );
}

const runItem = (run: RunSummary) =>
  h(
    'li',
    {},
    h('a', { href: `#/runs/${encodeURIComponent(run.id)}` }, run.startedAt ?? run.id),
    ' ',
    statusBadge(run.status),
  );

async function workflowView(id: string): Promise<void> {
  const [{ workflow }, { runs }] = await Promise.all([
    getJson<{ workflow: WorkflowDetail }>(`/chat/api/workflows/${encodeURIComponent(id)}`),
    getJson<{ runs: RunSummary[] }>(`/chat/api/runs?workflowId=${encodeURIComponent(id)}`),
  ]);
  const graph = h('div', { class: 'graph', 'data-testid': 'graph' });
  main.replaceChildren(
    h('h1', {}, workflow.name, ' ', statusBadge(workflow.status)),
    workflow.description ? h('p', {}, workflow.description) : '',
    graph,
    h('h2', {}, 'Recent runs'),
    runs.length ? h('ul', { class: 'list' }, ...runs.map(runItem)) : h('p', {}, 'No runs yet.'),
    h(
      'details',
      {},
      h('summary', {}, 'Workflow document'),
      h('pre', {}, JSON.stringify(workflow.document, null, 2)),
    ),
  );
  await renderWorkflowGraph(graph, workflow.document);
}

function renderRun(run: RunDetail): HTMLElement[] {
  const nodes: Array<HTMLElement | null> = [
    h(
      'h1',
      {},
      run.workflowName ? `Run of ${run.workflowName}` : `Run ${run.id}`,
      ' ',
      statusBadge(run.status),
    ),
    h(
      'ol',
      { class: 'steps', 'aria-label': 'Steps' },
      ...run.steps.map((step) =>
        h(
          'li',
          {},
          h('code', {}, step.id),
          ' ',
          statusBadge(step.status),
          step.error ? h('p', { class: 'error' }, step.error) : null,
          step.files?.length ? renderFiles(step.files) : null,
          step.agentCalls?.length ? renderAgentCalls(step.agentCalls) : null,
          step.approval ? renderApprovalCard(step.approval) : null,
        ),
      ),
    ),
    run.error ? h('p', { class: 'error', role: 'alert' }, run.error) : null,
    run.output === undefined
      ? null
      : h('details', {}, h('summary', {}, 'Output'), h('pre', {}, JSON.stringify(run.output, null, 2))),
  ];
  return nodes.filter((node): node is HTMLElement => node !== null);
}

async function runView(id: string): Promise<void> {
  runStream = new AbortController();
  const live = h('div', { 'aria-live': 'polite' });
  main.replaceChildren(live);
  await streamEvents(
    `/chat/api/runs/${encodeURIComponent(id)}/events`,
    { signal: runStream.signal },
    (event, data) => {
      if (event === 'run') live.replaceChildren(...renderRun(data as RunDetail));
    },
  ).catch((error: unknown) => {
    if (!(error instanceof DOMException && error.name === 'AbortError')) throw error;
  });
}

async function route(): Promise<void> {
  runStream?.abort();
  viewScope?.abort();
  viewScope = new AbortController();
  const path = location.hash.replace(/^#/, '') || '/';
  const [, section, id] = path.split('/');
  try {
    if (section === 'workflows' && id) await workflowView(decodeURIComponent(id));
    else if (section === 'workflows') await workflowsView();
    else if (section === 'runs' && id) await runView(decodeURIComponent(id));
    else if (section === 'credentials') await credentialsView(main, viewScope.signal);
    else chatView(main, viewScope.signal, showError);
  } catch (error) {
    showError(main, error);
  }
}

/** Asks who is signed in first: a server that needs a sign-in shows the sign-in page instead of the app. */
async function start(): Promise<void> {
  const session = await loadSession().catch(() => undefined);
  if (!session?.signedIn) {
    signInView(session?.signIn ?? { oidc: false, loginLink: true });
    return;
  }
  showSignedIn(session);
  await route();
}

window.addEventListener('hashchange', () => void route());
void start();
