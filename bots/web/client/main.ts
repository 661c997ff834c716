import type { ProposalReply, Reply } from '../../../agent/index.ts';
import {
  isOperationProposal,
  isPreviewableProposal,
  operationHeading,
  type PreviewableProposal,
  proposalFiles,
  proposalKind,
  retryProposalText,
} from '../../proposal-view.ts';
import type { WorkflowSummary } from '../../workflow-port.ts';
import {
  getJson,
  loadSession,
  postJson,
  type SessionInfo,
  type SignInMethods,
  signOut,
  streamEvents,
  UnauthorizedError,
} from './api.ts';
import { credentialsView } from './credentials.ts';
import { h } from './dom.ts';
import { errorNote } from './error-note.ts';
import { renderWorkflowGraph } from './graph.ts';
import { insightsView } from './insights-page.ts';
import { runPage } from './run-page.ts';
import { renderFiles } from './run-steps.ts';
import { runsPage } from './runs-page.ts';
import { workflowPage } from './workflow-page.ts';

const main = document.getElementById('main') as HTMLElement;
const THREAD_KEY = 'vmesh.thread';
/** Aborted when the page goes to another route: listeners a view added end with it. */
let viewScope: AbortController | undefined;

function threadKey(): string {
  let key = localStorage.getItem(THREAD_KEY);
  if (!key) {
    key = crypto.randomUUID().replace(/-/g, '');
    localStorage.setItem(THREAD_KEY, key);
  }
  return key;
}

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

// ---------- chat ----------

function renderReply(reply: Reply): HTMLElement {
  switch (reply.type) {
    case 'text':
      return h('div', { class: 'msg agent' }, h('p', {}, reply.text));
    case 'error':
      return h(
        'div',
        { class: 'msg agent error', role: 'alert' },
        h('p', {}, reply.message),
        reply.hint ? h('p', { class: 'hint' }, reply.hint) : null,
      );
    case 'proposal':
    case 'fix_proposal':
      if (isOperationProposal(reply)) return renderOperationProposal(reply);
      if (!isPreviewableProposal(reply))
        return h('div', { class: 'msg agent' }, h('p', {}, retryProposalText(reply)));
      return renderProposal(reply);
    case 'run_update':
      return h(
        'div',
        { class: 'msg agent' },
        h(
          'p',
          {},
          reply.message,
          h('a', { href: `#/runs/${encodeURIComponent(reply.runId)}` }, reply.runId),
          ' ',
          statusBadge(reply.status),
        ),
      );
    case 'connect_link':
      return h(
        'div',
        { class: 'msg agent', 'data-testid': 'connect-link' },
        h('p', {}, reply.text),
        reply.url
          ? h(
              'a',
              { class: 'button', href: reply.url, target: '_blank', rel: 'noopener noreferrer' },
              `${reply.reconnect ? 'Reconnect' : 'Connect'} ${reply.credential}`,
            )
          : null,
      );
    default: {
      const unknown = reply as { text?: string; message?: string };
      return h(
        'div',
        { class: 'msg agent' },
        h('p', {}, unknown.text ?? unknown.message ?? JSON.stringify(reply)),
      );
    }
  }
}

/** The files the proposal's document holds; for a fix, each downloads from its run (GET /api/runs/:id/files/:fileId). */
function proposalFilesList(reply: PreviewableProposal): HTMLElement | null {
  const files = proposalFiles(reply);
  if (files.length === 0) return null;
  const { runId } = reply.proposal;
  return renderFiles(
    files.map((file) => ({
      ...file,
      ...(runId
        ? { href: `/api/runs/${encodeURIComponent(runId)}/files/${encodeURIComponent(file.id)}` }
        : {}),
    })),
  );
}

/** Approve / Reject buttons; the outcome shown is the server's (a refused decision says why, not "Approved."). */
function decisionActions(proposalId: string): HTMLElement {
  const actions = h('div', { class: 'actions' });
  const decide = async (decision: 'approve' | 'reject') => {
    for (const button of actions.querySelectorAll('button')) button.disabled = true;
    try {
      const { replies } = await postJson<{ replies: Reply[] }>('/chat/api/decisions', {
        proposalId,
        decision,
      });
      const refused = replies.find((next) => next.type === 'error');
      actions.replaceChildren(
        h(
          'p',
          { class: 'decided' },
          refused ? 'Not decided: see below.' : decision === 'approve' ? 'Approved.' : 'Rejected.',
        ),
      );
      for (const next of replies) appendToLog(renderReply(next));
    } catch (error) {
      for (const button of actions.querySelectorAll('button')) button.disabled = false;
      appendToLog(h('div', { class: 'msg agent error', role: 'alert' }, h('p', {}, String(error))));
    }
  };
  actions.append(
    h('button', { type: 'button', class: 'approve', onclick: () => void decide('approve') }, 'Approve'),
    h('button', { type: 'button', class: 'reject', onclick: () => void decide('reject') }, 'Reject'),
  );
  return actions;
}

/** Resuming or deleting a workflow: the summary and the buttons. */
function renderOperationProposal(reply: ProposalReply): HTMLElement {
  return h(
    'section',
    {
      class: 'msg agent proposal',
      'aria-label': operationHeading(reply),
      'data-testid': 'proposal',
      'data-proposal-id': reply.proposal.id,
      'data-summary': reply.summary,
    },
    h('h2', {}, operationHeading(reply)),
    h('p', {}, reply.summary),
    decisionActions(reply.proposal.id),
  );
}

function renderProposal(reply: PreviewableProposal): HTMLElement {
  const graph = h('div', { class: 'graph', 'data-testid': 'graph' }, 'Drawing the graph…');
  const actions = decisionActions(reply.proposal.id);
  const card = h(
    'section',
    {
      class: 'msg agent proposal',
      'aria-label': `Proposal: ${reply.title}`,
      'data-testid': 'proposal',
      'data-proposal-id': reply.proposal.id,
      'data-summary': reply.summary,
    },
    h(
      'h2',
      {},
      proposalKind(reply) === 'fix' ? `Proposed fix: ${reply.title}` : `Proposed workflow: ${reply.title}`,
    ),
    h(
      'div',
      { class: 'proposal-body' },
      h(
        'div',
        { class: 'summary' },
        h('p', {}, reply.summary),
        proposalFilesList(reply),
        h(
          'details',
          {},
          h('summary', {}, 'Workflow document'),
          h('pre', {}, JSON.stringify(reply.proposal.document, null, 2)),
        ),
      ),
      graph,
    ),
    actions,
  );
  void renderWorkflowGraph(graph, reply.proposal.document);
  return card;
}

let log: HTMLElement | undefined;
function appendToLog(node: HTMLElement): void {
  log?.append(node);
  node.scrollIntoView({ block: 'nearest' });
}

/** Proposals made while the page was closed (self-healing fixes) wait at the top of the log. */
async function showPendingProposals(): Promise<void> {
  const { replies } = await getJson<{ replies: Reply[] }>('/chat/api/proposals').catch(() => ({
    replies: [] as Reply[],
  }));
  if (replies.length === 0) return;
  appendToLog(h('p', { class: 'status' }, 'Waiting for your decision:'));
  for (const reply of replies) appendToLog(renderReply(reply));
}

/**
 * Back on this page (e.g. from a connect link's tab): the proposals shown here are drawn again when their card
 * changed on the server (a credential connected since, now shown satisfied).
 */
async function refreshShownProposals(): Promise<void> {
  if (!log?.isConnected) return;
  const { replies } = await getJson<{ replies: Reply[] }>('/chat/api/proposals').catch(() => ({
    replies: [] as Reply[],
  }));
  for (const reply of replies) {
    if (reply.type !== 'proposal' && reply.type !== 'fix_proposal') continue;
    const shown = [...log.querySelectorAll<HTMLElement>('[data-proposal-id]')].find(
      (card) => card.dataset.proposalId === reply.proposal.id,
    );
    if (shown && shown.dataset.summary !== reply.summary && isPreviewableProposal(reply))
      shown.replaceWith(renderProposal(reply));
  }
}
window.addEventListener('focus', () => void refreshShownProposals());
document.addEventListener('visibilitychange', () => {
  if (document.visibilityState === 'visible') void refreshShownProposals();
});

function chatView(): void {
  log = h('div', { class: 'log', role: 'log', 'aria-live': 'polite', 'aria-label': 'Conversation' });
  const input = h('textarea', {
    id: 'message',
    rows: '2',
    placeholder: 'Describe an automation… (Enter sends, Shift+Enter adds a line)',
    required: true,
  });
  const send = h('button', { type: 'submit' }, 'Send');
  const status = h('p', { class: 'status', role: 'status' });
  void showPendingProposals();
  const submit = async () => {
    const text = input.value.trim();
    if (!text) return;
    input.value = '';
    send.disabled = true;
    appendToLog(h('div', { class: 'msg user' }, h('p', {}, text)));
    const streaming = h('p', {});
    const bubble = h('div', { class: 'msg agent streaming' }, streaming);
    let shown = false;
    try {
      await streamEvents(
        '/chat/api/messages',
        { method: 'POST', body: { threadKey: threadKey(), text } },
        (event, data) => {
          if (event === 'delta') {
            if (!shown) appendToLog(bubble);
            shown = true;
            streaming.textContent += (data as { text: string }).text;
          } else if (event === 'tool') {
            const tool = data as { name: string; status: string };
            status.textContent = tool.status === 'started' ? `Using ${tool.name}…` : '';
          } else if (event === 'reply') {
            const reply = data as Reply;
            if (reply.type === 'text' && shown) {
              bubble.remove();
              shown = false;
            }
            appendToLog(renderReply(reply));
          }
        },
      );
    } catch (error) {
      showError(status, error);
    } finally {
      if (shown) bubble.classList.remove('streaming');
      status.textContent = '';
      send.disabled = false;
      input.focus();
    }
  };
  input.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      void submit();
    }
  });
  const form = h(
    'form',
    {
      class: 'composer',
      onsubmit: (event) => {
        event.preventDefault();
        void submit();
      },
    },
    h('label', { for: 'message', class: 'visually-hidden' }, 'Message'),
    input,
    send,
  );
  main.replaceChildren(h('h1', { class: 'visually-hidden' }, 'Chat'), log, status, form);
  input.focus();
}

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
    else chatView();
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
