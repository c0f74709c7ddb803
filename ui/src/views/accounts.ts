// Accounts with their live connection state; add and remove. A secret typed
// here goes to the keyring command and the field is cleared; it is never
// read back into the page.

import { h } from '../dom';
import type { AccountView, CommandError, Connection, NewAccount } from '../types';

export function connectionLabel(a: AccountView): string {
  if (a.problem === 'keyring_unavailable') return 'Keyring locked or unavailable';
  if (a.problem === 'keyring_missing') return 'No secret in the keyring: add the account again';
  const c: Connection = a.connection;
  switch (c.state) {
    case 'connecting':
      return 'Connecting';
    case 'live':
      return 'Connected';
    case 'backing_off':
      return `Reconnecting at ${new Date(c.retry_at).toLocaleTimeString()}`;
    case 'sign_in_needed':
      return 'Sign-in needed: the token or password was refused';
    case 'stopped':
      return 'Stopped';
  }
}

export interface AccountActions {
  add(account: NewAccount, secret: string): Promise<CommandError | null>;
  remove(name: string): void;
}

/**
 * The list is redrawn on every refresh; the add form is built once and kept,
 * so a refresh never wipes what the agent is typing.
 */
export function renderAccounts(root: HTMLElement, accounts: AccountView[], demo: boolean, actions: AccountActions): void {
  let note = root.querySelector<HTMLElement>('p.note');
  let list = root.querySelector<HTMLUListElement>('ul.accounts');
  if (!note || !list) {
    note = h('p', { class: 'note' }, 'No account yet: the built-in demo is playing.');
    list = h('ul', { class: 'accounts' });
    root.replaceChildren(note, list, addForm(actions));
  }
  note.hidden = !demo;
  list.replaceChildren(
    ...accounts.map((a) => {
      const remove = h('button', { type: 'button', 'aria-label': `Remove ${a.name}` }, 'Remove');
      remove.addEventListener('click', () => actions.remove(a.name));
      const last = a.last_event_at ? `last event ${new Date(a.last_event_at).toLocaleTimeString()}` : 'no events yet';
      return h(
        'li',
        { 'data-account': a.name },
        h('strong', {}, a.name),
        h('span', { class: 'url' }, a.settings?.url ?? ''),
        h('span', { class: 'connection' }, connectionLabel(a)),
        h('span', { class: 'last' }, last),
        remove,
      );
    }),
  );
}

function field(id: string, label: string, input: HTMLInputElement | HTMLSelectElement): HTMLElement {
  input.id = id;
  return h('div', { class: 'field' }, h('label', { for: id }, label), input);
}

function addForm(actions: AccountActions): HTMLElement {
  const kind = h('select', {}, h('option', { value: 'relay' }, 'Relay (Freshworks)'), h('option', { value: 'xelion' }, 'Xelion PBX'));
  const name = h('input', { required: true, autocomplete: 'off' });
  const url = h('input', { type: 'url', required: true, placeholder: 'https://relay.acme.example/' });
  const secret = h('input', { type: 'password', required: true, autocomplete: 'new-password' });
  const tenant = h('input', {});
  const user = h('input', {});
  const domains = h('input', { placeholder: 'support.acme.example (optional)' });
  const error = h('p', { class: 'error', role: 'alert' });
  const xelionOnly = [field('account-tenant', 'Tenant', tenant), field('account-user', 'User', user)];
  const relayOnly = [field('account-domains', 'Helpdesk domains', domains)];
  const secretLabel = h('label', { for: 'account-secret' }, 'Agent token');
  const showKind = () => {
    const x = kind.value === 'xelion';
    for (const f of xelionOnly) f.hidden = !x;
    for (const f of relayOnly) f.hidden = x;
    secretLabel.textContent = x ? 'Password' : 'Agent token';
  };
  kind.addEventListener('change', showKind);
  secret.id = 'account-secret';
  const form = h(
    'form',
    { class: 'add-account', 'aria-label': 'Add an account' },
    h('h2', {}, 'Add an account'),
    field('account-kind', 'Kind', kind),
    field('account-name', 'Name', name),
    field('account-url', 'URL', url),
    h('div', { class: 'field' }, secretLabel, secret),
    ...relayOnly,
    ...xelionOnly,
    h('button', { type: 'submit' }, 'Add'),
    error,
  );
  showKind();
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const account: NewAccount =
      kind.value === 'xelion'
        ? { kind: 'xelion', name: name.value.trim(), url: url.value.trim(), tenant: tenant.value.trim(), user: user.value.trim(), admin: false }
        : {
            kind: 'relay',
            name: name.value.trim(),
            url: url.value.trim(),
            domains: domains.value.split(/[\s,]+/).filter((d) => d !== ''),
          };
    const typed = secret.value;
    // Out of the page at once, whatever the outcome.
    secret.value = '';
    const refused = await actions.add(account, typed);
    error.textContent = refused ? refused.message : '';
    if (!refused) form.reset();
    showKind();
  });
  return form;
}
