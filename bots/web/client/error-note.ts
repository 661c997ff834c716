import { ApiError } from './api.ts';
import { h } from './dom.ts';

/** An error as the page shows it: the server's message, and its hint when it gave one. */
export function errorNote(error: unknown): HTMLElement {
  const message = error instanceof Error ? error.message : String(error);
  const hint = error instanceof ApiError ? error.hint : undefined;
  return h(
    'div',
    { class: 'error-note', role: 'alert' },
    h('p', { class: 'error' }, message),
    hint ? h('p', { class: 'hint' }, hint) : null,
  );
}
