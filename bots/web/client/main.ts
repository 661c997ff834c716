import type { WorkflowSummary } from '../../workflow-port.ts';
import {
  getJson,
  loadSession,
  type SessionInfo,
  type SignInMethods,
  signOut,
  UnauthorizedError,
} from './api.ts';
import { chatView } from './chat-view.ts';
import { credentialsView } from './credentials.ts';
import { h } from './dom.ts';
import { errorNote } from './error-note.ts';
import { insightsView } from './insights-page.ts';
import { runPage } from './run-page.ts';
import { runsPage } from './runs-page.ts';
import { workflowPage } from './workflow-page.ts';

const main = document.getElementById('main') as HTMLElement;
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

async function route(): Promise<void> {
  viewScope?.abort();
  viewScope = new AbortController();
  const [path = '/', query = ''] = (location.hash.replace(/^#/, '') || '/').split('?');
  const [, section, id] = path.split('/');
  try {
    if (section === 'workflows' && id) await workflowPage(main, decodeURIComponent(id));
    else if (section === 'workflows') await workflowsView();
    else if (section === 'runs' && id) await runPage(main, decodeURIComponent(id), viewScope.signal);
    else if (section === 'runs') await runsPage(main, new URLSearchParams(query));
    else if (section === 'credentials') await credentialsView(main, viewScope.signal);
    else if (section === 'insights') await insightsView(main, viewScope.signal);
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
