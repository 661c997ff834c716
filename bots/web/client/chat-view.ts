import type { HistoryEntry, Reply } from '../../../agent/index.ts';
import type { RunDetail } from '../../workflow-port.ts';
import { getJson, streamEvents } from './api.ts';
import { h } from './dom.ts';
import { renderProposalCard } from './proposal-card.ts';

const THREAD_KEY = 'vmesh.thread';
const SETTLED = new Set(['succeeded', 'failed', 'cancelled', 'skipped']);

/** This browser's conversation (a random key kept in localStorage; the server keeps the conversation). */
export function threadKey(): string {
  let key = localStorage.getItem(THREAD_KEY);
  if (!key) {
    key = crypto.randomUUID().replace(/-/g, '');
    localStorage.setItem(THREAD_KEY, key);
  }
  return key;
}

const statusBadge = (status: string) =>
  h('span', { class: `badge status-${status.replace(/[^a-z_]/g, '')}`, 'data-testid': 'run-status' }, status);

type ChatLog = {
  element: HTMLElement;
  append(node: HTMLElement): void;
  appendReplies(replies: Reply[]): void;
};

/**
 * The chat page: the conversation restored from the server, then kept live over SSE (self-healing fixes,
 * decisions made elsewhere), the composer, and proposal cards. Everything it starts ends with `signal`.
 */
export function chatView(
  main: HTMLElement,
  signal: AbortSignal,
  onError: (target: HTMLElement, error: unknown) => void,
): void {
  const shown = new Set<number>();
  const log = createLog(signal);
  const input = h('textarea', {
    id: 'message',
    rows: '2',
    placeholder: 'Describe an automation… (Enter sends, Shift+Enter adds a line)',
    required: true,
  });
  const send = h('button', { type: 'submit' }, 'Send');
  const status = h('p', { class: 'status', role: 'status' });
  const submit = async () => {
    const text = input.value.trim();
    if (!text) return;
    input.value = '';
    send.disabled = true;
    log.append(h('div', { class: 'msg user' }, h('p', {}, text)));
    const streaming = h('p', {});
    const bubble = h('div', { class: 'msg agent streaming' }, streaming);
    let streamed = false;
    try {
      await streamEvents(
        '/chat/api/messages',
        { method: 'POST', body: { threadKey: threadKey(), text } },
        (event, data) => {
          if (event === 'delta') {
            if (!streamed) log.append(bubble);
            streamed = true;
            streaming.textContent += (data as { text: string }).text;
          } else if (event === 'tool') {
            const tool = data as { name: string; status: string };
            status.textContent = tool.status === 'started' ? `Using ${tool.name}…` : '';
          } else if (event === 'reply') {
            const reply = data as Reply;
            if (reply.type === 'text' && streamed) {
              bubble.remove();
              streamed = false;
            }
            log.appendReplies([reply]);
          }
        },
      );
    } catch (error) {
      onError(status, error);
    } finally {
      if (streamed) bubble.classList.remove('streaming');
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
  main.replaceChildren(h('h1', { class: 'visually-hidden' }, 'Chat'), log.element, status, form);
  input.focus();

  const showEntry = (entry: HistoryEntry) => {
    if (shown.has(entry.id)) return;
    shown.add(entry.id);
    if (entry.said !== null) log.append(h('div', { class: 'msg user' }, h('p', {}, entry.said)));
    log.appendReplies(entry.replies);
  };
  void restore(log, showEntry, signal).then((cursor) => {
    if (cursor !== undefined && !signal.aborted) follow(cursor, showEntry, signal);
  });
  const refresh = () => void refreshShownProposals(log);
  window.addEventListener('focus', refresh, { signal });
  document.addEventListener(
    'visibilitychange',
    () => {
      if (document.visibilityState === 'visible') refresh();
    },
    { signal },
  );
}

function createLog(signal: AbortSignal): ChatLog {
  const element = h('div', {
    class: 'log',
    role: 'log',
    'aria-live': 'polite',
    'aria-label': 'Conversation',
  });
  const log: ChatLog = {
    element,
    append(node) {
      element.append(node);
      node.scrollIntoView({ block: 'nearest' });
    },
    /** A proposal already on the page is drawn again where it is (its state changed), not shown twice. */
    appendReplies(replies) {
      for (const reply of replies) {
        const node = renderReply(reply, log, signal);
        const shown =
          reply.type === 'proposal' || reply.type === 'fix_proposal'
            ? cardOf(element, reply.proposal.id)
            : undefined;
        if (shown) shown.replaceWith(node);
        else log.append(node);
      }
    },
  };
  return log;
}

/** The conversation so far, then the proposals waiting elsewhere (self-healing fixes of other chats). */
async function restore(
  log: ChatLog,
  showEntry: (entry: HistoryEntry) => void,
  signal: AbortSignal,
): Promise<number | undefined> {
  const history = await getJson<{ entries: HistoryEntry[]; cursor: number }>(
    `/chat/api/conversation?threadKey=${encodeURIComponent(threadKey())}`,
  ).catch(() => undefined);
  if (signal.aborted) return undefined;
  for (const entry of history?.entries ?? []) showEntry(entry);
  const { replies } = await getJson<{ replies: Reply[] }>('/chat/api/proposals').catch(() => ({
    replies: [] as Reply[],
  }));
  const waiting = replies.filter(
    (reply) =>
      (reply.type !== 'proposal' && reply.type !== 'fix_proposal') || !cardOf(log.element, reply.proposal.id),
  );
  if (waiting.length > 0 && !signal.aborted) {
    log.append(h('p', { class: 'status' }, 'Waiting for your decision:'));
    log.appendReplies(waiting);
  }
  return history?.cursor;
}

/**
 * New entries as they are stored, over SSE. EventSource reconnects by itself and sends the last entry id it saw
 * (Last-Event-ID), so the server continues exactly after it; `showEntry` ignores an id it has shown already.
 */
function follow(cursor: number, showEntry: (entry: HistoryEntry) => void, signal: AbortSignal): void {
  const source = new EventSource(
    `/chat/api/conversation/events?threadKey=${encodeURIComponent(threadKey())}&after=${cursor}`,
  );
  source.addEventListener('entry', (event) => showEntry(JSON.parse((event as MessageEvent<string>).data)));
  signal.addEventListener('abort', () => source.close());
}

const cardOf = (log: HTMLElement, proposalId: string) =>
  [...log.querySelectorAll<HTMLElement>('[data-proposal-id]')].find(
    (card) => card.dataset.proposalId === proposalId,
  );

function renderReply(reply: Reply, log: ChatLog, signal: AbortSignal): HTMLElement {
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
      return renderProposalCard(reply, { append: (replies) => log.appendReplies(replies) });
    case 'run_update':
      return renderRunUpdate(reply, signal);
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

/** A run's update; while the run has not settled, its status follows the run live. */
function renderRunUpdate(reply: Extract<Reply, { type: 'run_update' }>, signal: AbortSignal): HTMLElement {
  let badge = statusBadge(reply.status);
  const message = h(
    'div',
    { class: 'msg agent', 'data-testid': 'run-update', 'data-run-id': reply.runId },
    h(
      'p',
      {},
      reply.message,
      ' ',
      h('a', { href: `#/runs/${encodeURIComponent(reply.runId)}` }, reply.runId),
      ' ',
      badge,
    ),
  );
  if (!SETTLED.has(reply.status)) {
    const stop = new AbortController();
    signal.addEventListener('abort', () => stop.abort());
    void streamEvents(
      `/chat/api/runs/${encodeURIComponent(reply.runId)}/events`,
      { signal: stop.signal },
      (event, data) => {
        if (event !== 'run') return;
        const next = statusBadge((data as RunDetail).status);
        badge.replaceWith(next);
        badge = next;
      },
    ).catch(() => undefined);
  }
  return message;
}

/**
 * Back on this page (e.g. from a connect link's tab): the proposals shown here are drawn again when their card
 * changed on the server (a credential connected since, decided elsewhere).
 */
async function refreshShownProposals(log: ChatLog): Promise<void> {
  if (!log.element.isConnected) return;
  const { replies } = await getJson<{ replies: Reply[] }>('/chat/api/proposals').catch(() => ({
    replies: [] as Reply[],
  }));
  for (const reply of replies) {
    if (reply.type !== 'proposal' && reply.type !== 'fix_proposal') continue;
    const card = cardOf(log.element, reply.proposal.id);
    if (card && card.dataset.summary !== reply.summary && card.dataset.status === 'pending')
      card.replaceWith(renderProposalCard(reply, { append: (more) => log.appendReplies(more) }));
  }
}
