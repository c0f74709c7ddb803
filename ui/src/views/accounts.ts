// Accounts with their live connection state; add and remove. A secret typed
// here goes to the keyring command and the field is cleared; it is never
// read back into the page.

import { h } from '../dom';
import { formatTime, t } from '../l10n';
import type { AccountSettings, AccountView, CommandError, Connection, NewAccount } from '../types';

export function connectionLabel(a: AccountView): string {
  if (a.problem === 'keyring_unavailable') return t('account-keyring-locked');
  if (a.problem === 'keyring_missing') return t('account-secret-missing');
  const c: Connection = a.connection;
  switch (c.state) {
    case 'connecting':
      return t('account-connecting');
    case 'live':
      return t('account-connected');
    case 'backing_off':
      // The reason is the client's own, in English: it names protocol things.
      return t('account-reconnecting', { time: formatTime(new Date(c.retry_at), true), reason: c.reason });
    case 'sign_in_needed':
      return t('account-sign-in-needed');
    case 'stopped':
      return t('account-stopped');
  }
}

export interface AccountActions {
  add(account: NewAccount, secret: string): Promise<CommandError | null>;
  /** A relay account from an invitation code (the relay gives the token). */
  redeem(account: NewAccount, code: string): Promise<CommandError | null>;
  /** A null secret keeps the stored one. */
  update(account: NewAccount, secret: string | null): Promise<CommandError | null>;
  /** A null secret tests with the stored one. */
  test(account: NewAccount, secret: string | null): Promise<CommandError | null>;
  remove(name: string): void;
}

type AccountForm = HTMLFormElement & { edit(settings: AccountSettings): void };

/** Outcomes of "Test" per account, kept across the list's redraws. */
const tested = new Map<string, string>();

/**
 * The list is redrawn on every refresh; the form (add, or edit one account)
 * is built once and kept, so a refresh never wipes what the agent is typing.
 */
export function renderAccounts(root: HTMLElement, accounts: AccountView[], demo: boolean, actions: AccountActions): void {
  let note = root.querySelector<HTMLElement>('p.note');
  let list = root.querySelector<HTMLUListElement>('ul.accounts');
  let form = root.querySelector<AccountForm>('form.account-form');
  if (!note || !list || !form) {
    note = h('p', { class: 'note' }, t('accounts-demo-note'));
    const notice = h('p', { class: 'accounts-notice', role: 'status' });
    list = h('ul', { class: 'accounts' });
    form = accountForm(actions);
    root.replaceChildren(note, notice, list, form);
  }
  note.hidden = !demo;
  const editForm = form;
  list.replaceChildren(
    ...accounts.map((a) => {
      const settings = a.settings;
      // `data-focus`: the list is redrawn on every refresh; focus comes back.
      const named = { name: a.name };
      const edit = h('button', { type: 'button', 'aria-label': t('account-edit-named', named), disabled: settings === null, 'data-focus': `edit:${a.name}` }, t('account-edit'));
      if (settings) edit.addEventListener('click', () => editForm.edit(settings));
      const outcome = h('span', { class: 'probe', role: 'status' }, tested.get(a.name) ?? '');
      const test = h('button', { type: 'button', 'aria-label': t('account-test-named', named), disabled: settings === null, 'data-focus': `test:${a.name}` }, t('account-test'));
      if (settings) {
        test.addEventListener('click', async () => {
          tested.set(a.name, t('account-testing'));
          outcome.textContent = t('account-testing');
          const refused = await actions.test(asNew(settings), null);
          tested.set(a.name, refused ? refused.message : t('account-test-works-row'));
          // The list may have been redrawn meanwhile: the row on the page now.
          const shown = [...root.querySelectorAll<HTMLElement>('li[data-account]')].find((li) => li.dataset.account === a.name);
          const now = shown?.querySelector<HTMLElement>('.probe') ?? outcome;
          now.textContent = tested.get(a.name) ?? '';
        });
      }
      const remove = h('button', { type: 'button', 'aria-label': t('account-remove-named', named), 'data-focus': `remove:${a.name}` }, t('account-remove'));
      remove.addEventListener('click', () => actions.remove(a.name));
      const last = a.last_event_at ? t('account-last-event', { time: formatTime(new Date(a.last_event_at), true) }) : t('account-no-events');
      return h(
        'li',
        { 'data-account': a.name },
        h('strong', {}, a.name),
        h('span', { class: 'url' }, settings?.url ?? ''),
        h('span', { class: 'connection' }, connectionLabel(a)),
        h('span', { class: 'last' }, last),
        edit,
        test,
        remove,
        outcome,
      );
    }),
  );
}

/** Says `text` once above the list (an invitation link's outcome). */
export function showAccountsNotice(root: HTMLElement, text: string): void {
  const notice = root.querySelector<HTMLElement>('p.accounts-notice');
  if (notice) notice.textContent = text;
}

/** `deskbell://invite?relay=...&code=...&name=...`, as `deskbell-relay invite` prints it. */
export function parseInviteLink(text: string): { relay: string; code: string; name: string | null } | null {
  let url: URL;
  try {
    url = new URL(text.trim());
  } catch {
    return null;
  }
  if (url.protocol !== 'deskbell:' || url.hostname !== 'invite') return null;
  const relay = url.searchParams.get('relay');
  const code = url.searchParams.get('code');
  if (!relay || !code) return null;
  return { relay, code, name: url.searchParams.get('name') || null };
}

/** Opens the edit form for `name`, if the list has it; false otherwise. */
export function editAccount(root: HTMLElement, accounts: AccountView[], name: string): boolean {
  const form = root.querySelector<AccountForm>('form.account-form');
  const settings = accounts.find((a) => a.name === name)?.settings;
  if (!form || !settings) return false;
  form.edit(settings);
  return true;
}

/** The settings as the commands take them back. */
function asNew(s: AccountSettings): NewAccount {
  return s.kind === 'xelion'
    ? { kind: 'xelion', name: s.name, url: s.url, tenant: s.tenant, user: s.user, admin: s.admin ?? false, ...(s.user_space ? { user_space: s.user_space } : {}) }
    : { kind: 'relay', name: s.name, url: s.url, fallback_urls: s.fallback_urls ?? [], domains: s.domains ?? [] };
}

function field(id: string, label: string | HTMLLabelElement, input: HTMLInputElement | HTMLSelectElement): HTMLElement {
  input.id = id;
  const l = typeof label === 'string' ? h('label', { for: id }, label) : label;
  return h('div', { class: 'field' }, l, input);
}

function accountForm(actions: AccountActions): AccountForm {
  const kind = h(
    'select',
    {},
    h('option', { value: 'relay' }, t('account-kind-relay')),
    h('option', { value: 'invite' }, t('account-kind-invite')),
    h('option', { value: 'xelion' }, t('account-kind-xelion')),
  );
  const name = h('input', { required: true, autocomplete: 'off' });
  const url = h('input', { type: 'url', required: true, placeholder: 'https://relay.acme.example/' });
  const secret = h('input', { type: 'password', autocomplete: 'new-password' });
  const tenant = h('input', {});
  const user = h('input', {});
  const domains = h('input', { placeholder: t('account-domains-example') });
  const fallbacks = h('input', { placeholder: t('account-fallbacks-example') });
  const heading = h('h2', {}, t('account-add-heading'));
  const error = h('p', { class: 'error', role: 'alert', id: 'account-error' });
  const probe = h('p', { class: 'probe', role: 'status', 'aria-live': 'polite' });
  const submit = h('button', { type: 'submit' }, t('account-add'));
  const test = h('button', { type: 'button', class: 'test' }, t('account-test-connection'));
  const cancel = h('button', { type: 'button', class: 'cancel', hidden: true }, t('account-cancel'));
  const xelionOnly = [field('account-tenant', t('account-tenant'), tenant), field('account-user', t('account-user'), user)];
  const relayOnly = [
    field('account-fallbacks', t('account-fallbacks'), fallbacks),
    field('account-domains', t('account-domains'), domains),
  ];
  const secretLabel = h('label', { for: 'account-secret' }, t('account-secret-token'));
  /** The account being edited; null while adding. */
  let editing: AccountSettings | null = null;
  /** The inputs a refusal can name (`field` of the tray's answer). */
  const byField: Record<string, HTMLInputElement> = { name, url, secret, code: secret, fallback_urls: fallbacks, domains, tenant, user };
  /** Marks the field a refusal names, described by the reason, and focuses it. */
  const markRefused = (refused: CommandError | null) => {
    for (const input of Object.values(byField)) {
      input.removeAttribute('aria-invalid');
      input.removeAttribute('aria-describedby');
    }
    const input = refused?.field ? byField[refused.field] : undefined;
    if (!input) return;
    input.setAttribute('aria-invalid', 'true');
    input.setAttribute('aria-describedby', 'account-error');
    input.focus();
  };

  const showKind = () => {
    const x = kind.value === 'xelion';
    const invite = kind.value === 'invite';
    for (const f of xelionOnly) f.hidden = !x;
    for (const f of relayOnly) f.hidden = x;
    const what = x ? 'password' : invite ? 'invite' : 'token';
    secretLabel.textContent = editing ? t('account-secret-new', { what }) : t(`account-secret-${what}`);
    // A code is read aloud and retyped; the token never is.
    secret.type = invite ? 'text' : 'password';
    secret.autocomplete = invite ? 'off' : 'new-password';
    secret.required = editing === null;
    submit.textContent = editing ? t('account-save') : invite ? t('account-join') : t('account-add');
  };
  // A pasted link fills the relay's URL and the name it offers.
  secret.addEventListener('input', () => {
    if (kind.value !== 'invite') return;
    const link = parseInviteLink(secret.value);
    if (!link) return;
    secret.value = link.code;
    url.value = link.relay;
    if (name.value.trim() === '' && link.name) name.value = link.name;
  });
  const read = (): NewAccount => {
    if (kind.value === 'xelion') {
      const kept = editing?.kind === 'xelion' ? editing : null;
      return {
        kind: 'xelion',
        name: name.value.trim(),
        url: url.value.trim(),
        tenant: tenant.value.trim(),
        user: user.value.trim(),
        admin: kept?.admin ?? false,
        ...(kept?.user_space ? { user_space: kept.user_space } : {}),
      };
    }
    const list = (input: HTMLInputElement) => input.value.split(/[\s,]+/).filter((d) => d !== '');
    return { kind: 'relay', name: name.value.trim(), url: url.value.trim(), fallback_urls: list(fallbacks), domains: list(domains) };
  };
  const toAdding = () => {
    editing = null;
    form.reset();
    heading.textContent = t('account-add-heading');
    submit.textContent = t('account-add');
    kind.disabled = false;
    name.readOnly = false;
    cancel.hidden = true;
    probe.textContent = '';
    markRefused(null);
    showKind();
  };

  kind.addEventListener('change', showKind);
  const form = h(
    'form',
    { class: 'account-form', 'aria-labelledby': 'account-form-heading' },
    heading,
    field('account-kind', t('account-kind'), kind),
    field('account-name', t('account-name'), name),
    field('account-url', t('account-url'), url),
    field('account-secret', secretLabel, secret),
    ...relayOnly,
    ...xelionOnly,
    h('div', { class: 'actions' }, submit, test, cancel),
    probe,
    error,
  ) as AccountForm;
  heading.id = 'account-form-heading';

  form.edit = (s: AccountSettings) => {
    editing = s;
    form.reset();
    heading.textContent = t('account-edit-named', { name: s.name });
    submit.textContent = t('account-save');
    kind.value = s.kind;
    kind.disabled = true;
    name.value = s.name;
    name.readOnly = true;
    url.value = s.url;
    domains.value = s.kind === 'relay' ? (s.domains ?? []).join(', ') : '';
    fallbacks.value = s.kind === 'relay' ? (s.fallback_urls ?? []).join(' ') : '';
    tenant.value = s.kind === 'xelion' ? s.tenant : '';
    user.value = s.kind === 'xelion' ? s.user : '';
    cancel.hidden = false;
    error.textContent = '';
    probe.textContent = '';
    markRefused(null);
    showKind();
    url.focus();
  };
  cancel.addEventListener('click', toAdding);
  test.addEventListener('click', async () => {
    if (kind.value === 'invite') {
      probe.textContent = t('account-test-invite');
      return;
    }
    if (editing === null && secret.value === '') {
      probe.textContent = t('account-test-needs-secret', { what: kind.value === 'xelion' ? 'password' : 'token' });
      return;
    }
    probe.textContent = t('account-testing');
    const refused = await actions.test(read(), secret.value === '' ? null : secret.value);
    probe.textContent = refused ? refused.message : t('account-test-works');
  });
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const account = read();
    const typed = secret.value;
    // Out of the page at once, whatever the outcome.
    secret.value = '';
    const refused = editing
      ? await actions.update(account, typed === '' ? null : typed)
      : kind.value === 'invite'
        ? await actions.redeem(account, typed)
        : await actions.add(account, typed);
    error.textContent = refused ? refused.message : '';
    markRefused(refused);
    if (!refused) toAdding();
  });
  showKind();
  return form;
}
