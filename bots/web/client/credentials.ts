import { ApiError, getJson, postJson, sendJson } from './api.ts';
import { h } from './dom.ts';
import { errorNote } from './error-note.ts';

// The shapes of /api/credentials and /api/credential-types (runtime/store): names and states, never a secret.
type CredentialState = 'connected' | 'needs_reconnect' | 'expired';
type Credential = {
  name: string;
  type: string;
  owner: string | null;
  scope: 'private' | 'workspace';
  state: CredentialState;
  stateReason: string | null;
  lastUsedAt: string | null;
  usedBy: { id: string; name: string; active: boolean }[];
  usedByHidden: number;
};
type CredentialField = { name: string; label: string; secret: boolean; optional: boolean; list: boolean };
type CredentialType = {
  type: string;
  title?: string;
  howToGet: string;
  connect: 'oauth2' | 'paste' | 'none';
  fields: CredentialField[];
  settings?: CredentialField[];
};
type TestResult = { ok: boolean | null; message: string };
type InUse = { workflows?: { id: string; name: string }[]; hidden?: number };

const STATE_TEXT: Record<CredentialState, string> = {
  connected: 'connected',
  needs_reconnect: 'needs reconnect',
  expired: 'expired',
};
const NAME_PATTERN = '[A-Za-z0-9][A-Za-z0-9_.\\-]{0,63}';
const credentialPath = (name: string) => `/api/credentials/${encodeURIComponent(name)}`;
const workflowLink = (workflow: { id: string; name: string }) =>
  h('a', { href: `#/workflows/${encodeURIComponent(workflow.id)}` }, workflow.name);

/** A one-time connect link: opened in a new tab (it leads to a paste form or the provider's sign-in). */
function linkNote(name: string, url: string): HTMLElement {
  return h(
    'div',
    { class: 'note', 'data-testid': 'connect-link' },
    h('p', {}, h('a', { href: url, target: '_blank', rel: 'noopener', class: 'button' }, `Connect ${name}`)),
    h(
      'p',
      { class: 'muted' },
      'A one-time link for you, valid 30 minutes; it replaces the credential under the same name. To use another device signed in as you: ',
      h('code', {}, url),
    ),
  );
}

function testNote(result: TestResult): HTMLElement {
  const [label, tone] =
    result.ok === true
      ? ['Works', 'ok']
      : result.ok === false
        ? ['Failed', 'bad']
        : ['Not checked with the vendor', 'muted'];
  return h(
    'p',
    { class: `note test-${tone}`, 'data-testid': 'test-result' },
    h('strong', {}, `${label}: `),
    result.message,
  );
}

/** A 409 E_CREDENTIAL_IN_USE: what is in the way, and a button that does it anyway. */
function inUseNote(error: ApiError, anyway: string, retry: () => void): HTMLElement {
  const details = error.details as InUse;
  const workflows = details.workflows ?? [];
  return h(
    'div',
    { class: 'note', role: 'alert' },
    h('p', { class: 'error' }, error.message),
    workflows.length
      ? h(
          'ul',
          { class: 'list', 'aria-label': 'Active workflows using it' },
          ...workflows.map((workflow) => h('li', {}, workflowLink(workflow))),
        )
      : null,
    details.hidden ? h('p', { class: 'muted' }, `and ${details.hidden} you may not see`) : null,
    error.hint ? h('p', { class: 'hint' }, error.hint) : null,
    h('button', { type: 'button', class: 'danger', onclick: retry }, anyway),
  );
}

const inUse = (error: unknown): error is ApiError =>
  error instanceof ApiError && error.code === 'E_CREDENTIAL_IN_USE';

function usedByCell(credential: Credential): Node[] {
  const items: Node[] = [];
  for (const workflow of credential.usedBy) {
    if (items.length) items.push(document.createTextNode(', '));
    items.push(workflowLink(workflow));
    if (workflow.active) items.push(document.createTextNode(' (active)'));
  }
  if (credential.usedByHidden > 0)
    items.push(
      h('span', { class: 'muted' }, `${items.length ? ' + ' : ''}${credential.usedByHidden} you may not see`),
    );
  return items.length ? items : [h('span', { class: 'muted' }, 'none')];
}

function fieldInput(prefix: string, field: CredentialField): HTMLElement {
  const id = `${prefix}-${field.name}`;
  return h(
    'p',
    { class: 'field' },
    h(
      'label',
      { for: id },
      field.label,
      field.optional ? ' (optional)' : '',
      field.list ? ' (separate with spaces)' : '',
    ),
    h('input', {
      id,
      name: field.name,
      type: field.secret ? 'password' : 'text',
      autocomplete: 'off',
      spellcheck: 'false',
    }),
  );
}

/** The page at #/credentials: the credentials the signed-in person may use, and a form to connect a new one. */
export async function credentialsView(main: HTMLElement, signal: AbortSignal): Promise<void> {
  const [{ credentials }, { types }] = await Promise.all([
    getJson<{ credentials: Credential[] }>('/api/credentials'),
    getJson<{ types: CredentialType[] }>('/api/credential-types'),
  ]);
  /** What an action said about a credential, shown in its row until the next action on it. */
  const notes = new Map<string, Node>();
  const status = h('div', { class: 'status', role: 'status', 'aria-live': 'polite' });
  const listBox = h('div', { class: 'table-box' });

  const refresh = async () => {
    const list = await getJson<{ credentials: Credential[] }>('/api/credentials');
    listBox.replaceChildren(renderList(list.credentials));
  };
  /** Runs an action on one credential, then shows the list as it is now (and what the action said, if anything). */
  const act = async (name: string, work: () => Promise<string | undefined>) => {
    status.replaceChildren();
    let said: string | undefined;
    try {
      said = await work();
    } catch (error) {
      notes.set(name, errorNote(error));
    }
    try {
      await refresh();
      if (said) status.replaceChildren(h('p', {}, said));
    } catch (error) {
      status.replaceChildren(errorNote(error));
    }
  };

  const test = (credential: Credential) =>
    act(credential.name, async () => {
      notes.set(credential.name, h('p', { class: 'note muted' }, 'Testing…'));
      listBox.replaceChildren(renderList(credentials));
      const result = await postJson<TestResult>(`${credentialPath(credential.name)}/test`, undefined);
      notes.set(credential.name, testNote(result));
      return undefined;
    });

  const reconnect = (credential: Credential) =>
    act(credential.name, async () => {
      // Same name, same type: for oauth2 the stored app settings are reused.
      const { url } = await postJson<{ url: string }>(`${credentialPath(credential.name)}/connect`, {
        type: credential.type,
      });
      notes.set(credential.name, linkNote(credential.name, url));
      return undefined;
    });

  const rename = (credential: Credential) => {
    const next = window.prompt(`New name for the credential ${credential.name}:`, credential.name)?.trim();
    if (!next || next === credential.name) return;
    const send = (force: boolean): Promise<void> =>
      act(credential.name, async () => {
        try {
          await sendJson('PATCH', credentialPath(credential.name), {
            name: next,
            ...(force ? { force } : {}),
          });
        } catch (error) {
          if (!inUse(error) || force) throw error;
          notes.set(
            credential.name,
            inUseNote(error, 'Rename anyway', () => void send(true)),
          );
          return;
        }
        notes.delete(credential.name);
        notes.set(next, h('p', { class: 'note' }, `Renamed from ${credential.name}.`));
      });
    void send(false);
  };

  const remove = (credential: Credential) => {
    if (!window.confirm(`Delete the credential ${credential.name}? This cannot be undone.`)) return;
    const send = (force: boolean): Promise<void> =>
      act(credential.name, async () => {
        try {
          await sendJson('DELETE', `${credentialPath(credential.name)}${force ? '?force=true' : ''}`);
        } catch (error) {
          if (!inUse(error) || force) throw error;
          notes.set(
            credential.name,
            inUseNote(error, 'Delete anyway', () => void send(true)),
          );
          return;
        }
        notes.delete(credential.name);
        status.replaceChildren(h('p', {}, `Deleted ${credential.name}.`));
      });
    void send(false);
  };

  const renderRow = (credential: Credential) => {
    const attention = credential.state !== 'connected';
    const button = (label: string, onclick: () => void, extra = '') =>
      h(
        'button',
        { type: 'button', class: extra, 'aria-label': `${label} ${credential.name}`, onclick },
        label,
      );
    return h(
      'tr',
      { 'data-credential': credential.name, class: attention ? 'attention' : '' },
      h('th', { scope: 'row', 'data-label': 'Name' }, credential.name),
      h('td', { 'data-label': 'Type' }, h('code', {}, credential.type)),
      h(
        'td',
        { 'data-label': 'State', 'data-testid': 'state' },
        h(
          'span',
          { class: `badge state-${attention ? 'bad' : 'ok'}` },
          attention ? `⚠ ${STATE_TEXT[credential.state]}` : STATE_TEXT[credential.state],
        ),
        credential.stateReason ? h('span', { class: 'reason muted' }, credential.stateReason) : null,
      ),
      h(
        'td',
        { 'data-label': 'Last used' },
        credential.lastUsedAt
          ? h('time', { datetime: credential.lastUsedAt }, new Date(credential.lastUsedAt).toLocaleString())
          : h('span', { class: 'muted' }, 'never'),
      ),
      h('td', { 'data-label': 'Used by' }, ...usedByCell(credential)),
      h(
        'td',
        { 'data-label': 'Owner' },
        credential.owner ?? h('span', { class: 'muted' }, 'nobody'),
        h('span', { class: 'muted' }, ` · ${credential.scope}`),
      ),
      h(
        'td',
        { class: 'row-actions' },
        h(
          'div',
          { class: 'actions' },
          button('Test', () => void test(credential)),
          button('Reconnect', () => void reconnect(credential), attention ? 'approve' : ''),
          button('Rename', () => rename(credential)),
          button('Delete', () => remove(credential), 'danger'),
        ),
        notes.get(credential.name) ?? null,
      ),
    );
  };

  const renderList = (list: Credential[]) => {
    credentials.splice(0, credentials.length, ...list);
    if (list.length === 0) return h('p', {}, 'No credentials yet. Connect one below.');
    return h(
      'table',
      { class: 'credentials' },
      h('caption', { class: 'visually-hidden' }, 'Credentials you may use'),
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          ...['Name', 'Type', 'State', 'Last used', 'Used by', 'Owner'].map((label) =>
            h('th', { scope: 'col' }, label),
          ),
          h('th', { scope: 'col' }, h('span', { class: 'visually-hidden' }, 'Actions')),
        ),
      ),
      h('tbody', {}, ...list.map(renderRow)),
    );
  };

  listBox.replaceChildren(renderList(credentials));
  // Back from a connect tab: show what it changed.
  document.addEventListener(
    'visibilitychange',
    () => {
      if (document.visibilityState === 'visible') void refresh().catch(() => {});
    },
    { signal },
  );
  main.replaceChildren(
    h('h1', {}, 'Credentials'),
    h(
      'p',
      { class: 'muted' },
      'Secrets are never shown here. Reconnect a credential to replace its secret under the same name.',
    ),
    status,
    listBox,
    connectForm(types, () => void refresh().catch(() => {})),
  );
}

/** "Connect a new credential": a name and a type → a one-time link (oauth2: with the app's settings). */
function connectForm(types: CredentialType[], onLinked: () => void): HTMLElement {
  const connectable = types.filter((type) => type.connect !== 'none');
  const name = h('input', {
    id: 'new-credential-name',
    name: 'name',
    required: true,
    pattern: NAME_PATTERN,
    maxlength: '64',
    autocomplete: 'off',
    spellcheck: 'false',
    'aria-describedby': 'new-credential-name-hint',
  });
  const select = h(
    'select',
    { id: 'new-credential-type', name: 'type', required: true },
    ...connectable.map((type) =>
      h('option', { value: type.type }, type.title ? `${type.type} (${type.title})` : type.type),
    ),
  );
  const howTo = h('p', { class: 'hint' });
  const settings = h('div', { class: 'settings' });
  const result = h('div', { 'aria-live': 'polite' });
  const chosen = () => connectable.find((type) => type.type === select.value);
  const showType = () => {
    const type = chosen();
    howTo.textContent = type?.howToGet ?? '';
    settings.replaceChildren(
      ...(type?.connect === 'oauth2'
        ? [
            h('p', { class: 'muted' }, 'The app registered with the provider:'),
            ...(type.settings ?? []).map((field) => fieldInput('oauth2', field)),
          ]
        : []),
    );
  };
  select.addEventListener('change', showType);
  showType();

  const submit = async (event: Event) => {
    event.preventDefault();
    const type = chosen();
    if (!type) return;
    const fields: Record<string, unknown> = {};
    for (const field of type.connect === 'oauth2' ? (type.settings ?? []) : []) {
      const input = settings.querySelector<HTMLInputElement>(`input[name="${field.name}"]`);
      const value = input?.value.trim() ?? '';
      if (value) fields[field.name] = field.list ? value.split(/\s+/) : value;
    }
    const credential = name.value.trim();
    result.replaceChildren(h('p', { class: 'muted' }, 'Making a link…'));
    try {
      const { url } = await postJson<{ url: string }>(`${credentialPath(credential)}/connect`, {
        type: type.type,
        ...(Object.keys(fields).length ? { fields } : {}),
      });
      for (const input of settings.querySelectorAll<HTMLInputElement>('input[type="password"]'))
        input.value = '';
      result.replaceChildren(linkNote(credential, url));
      onLinked();
    } catch (error) {
      result.replaceChildren(errorNote(error));
    }
  };

  return h(
    'section',
    { class: 'connect-new', 'aria-labelledby': 'connect-new-title' },
    h('h2', { id: 'connect-new-title' }, 'Connect a new credential'),
    connectable.length === 0
      ? h('p', {}, 'No credential type here can be connected with a link; use `vmesh credentials set`.')
      : h(
          'form',
          { onsubmit: (event) => void submit(event) },
          h(
            'p',
            { class: 'field' },
            h('label', { for: 'new-credential-name' }, 'Name'),
            name,
            h(
              'span',
              { class: 'muted', id: 'new-credential-name-hint' },
              'Letters, digits, _ . and -; what workflows name it by.',
            ),
          ),
          h('p', { class: 'field' }, h('label', { for: 'new-credential-type' }, 'Type'), select),
          howTo,
          settings,
          h('p', {}, h('button', { type: 'submit', class: 'approve' }, 'Get a connect link')),
        ),
    types.some((type) => type.connect === 'none')
      ? h(
          'p',
          { class: 'muted' },
          `Without a link (${types
            .filter((type) => type.connect === 'none')
            .map((type) => type.type)
            .join(', ')}): `,
          h('code', {}, 'vmesh credentials set NAME --type TYPE'),
        )
      : null,
    result,
  );
}
