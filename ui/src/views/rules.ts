// The Rules tab: the subscriptions (the same switches as the tray, both
// ways) and do-not-disturb, which act at once; and the new-ticket filters,
// quiet hours and hold-on-a-call, a form checked as it is typed and saved
// through the core.

import { h } from '../dom';
import { formatDateTime, t } from '../l10n';
import { checkRules, dayName, DAYS, PRIORITIES, SOURCES, STATUSES, splitList, type RuleProblem, type RulesEdit } from '../rules';
import { KINDS, type CommandError, type DirectoryGroup, type DndChoice, type Kind, type Subscriptions, type WhoAmI } from '../types';


/** What the relays say of "me", in words; empty when they say nothing. */
export function relayMeText(all: WhoAmI[]): string {
  const emails = [...new Set(all.flatMap((m) => m.emails))];
  if (emails.length === 0) return '';
  const agents = all.flatMap((m) => m.agents).map((a) => t('me-product-agent', { product: a.product, id: a.id }));
  const groups = [...new Set(all.flatMap((m) => m.groups).map((g) => g.name ?? t('group-unknown')))];
  const parts = [t('me-you-are', { emails: emails.join(', ') })];
  if (agents.length > 0) parts.push(agents.join(', '));
  if (groups.length > 0) parts.push(t('me-groups', { groups: groups.join(', ') }));
  return t('me-from-relay', { what: parts.join(' · ') });
}

/** A kind's switch, as the tray's menu names it. */
export function kindLabel(kind: Kind): string {
  return t(`kind-${kind.replaceAll('_', '-')}`);
}

export interface RulesActions {
  setSubscription(kind: Kind, on: boolean): void;
  setDnd(choice: DndChoice): void;
  /** The rules as saved, or why not. */
  saveRules(rules: RulesEdit): Promise<RulesEdit | CommandError>;
}

export interface RulesState {
  subscriptions: Subscriptions;
  dndUntil: string | null;
  rules: RulesEdit;
  /** Named groups for the pickers; ids typed by hand still work. */
  groups: DirectoryGroup[];
  /** Who the relays say the agent is; typed values override it. */
  relayMe: WhoAmI[];
}

/**
 * The switches are redrawn on every refresh. The form is built once and
 * refilled from the app only while it holds no unsaved edit, so a refresh
 * never wipes what the agent is typing.
 */
export function renderRules(root: HTMLElement, state: RulesState, actions: RulesActions): void {
  let live = root.querySelector<HTMLElement>('div.live');
  let form = root.querySelector<RulesForm>('form.rules-form');
  if (!live || !form) {
    live = h('div', { class: 'live' });
    form = rulesForm(actions);
    root.replaceChildren(live, form);
  }
  live.replaceChildren(switches(state.subscriptions, actions), dnd(state.dndUntil, actions));
  form.setGroups(state.groups);
  form.setRelayMe(state.relayMe);
  if (!form.dataset.dirty) form.fill(state.rules);
}

type GroupPicker = HTMLElement & { setGroups(groups: DirectoryGroup[]): void; sync(): void };

/**
 * Named groups as checkboxes beside a comma-separated id field: ticking
 * one adds its id to the field, unticking takes it out, and ids typed by
 * hand stay. Redrawn only when the directory's groups change.
 */
function groupPicker(input: HTMLInputElement, base: string, takes: (id: string) => boolean): GroupPicker {
  const picker = h('div', { class: 'choices group-picker', role: 'group', id: `${base}-picker`, 'aria-label': t('rules-pick-groups') }) as unknown as GroupPicker;
  let shown = '';
  picker.sync = () => {
    const ids = new Set(splitList(input.value));
    for (const box of picker.querySelectorAll<HTMLInputElement>('input[type=checkbox]')) box.checked = ids.has(box.value);
  };
  picker.setGroups = (all: DirectoryGroup[]) => {
    // Only the ids the field takes: tickets' groups are numbers; my groups
    // may be Freshchat's (UUIDs) too.
    const groups = all.filter((g) => takes(g.id));
    const key = JSON.stringify(groups.map((g) => [g.id, g.name]));
    if (key === shown) return;
    shown = key;
    const focused = document.activeElement;
    const focusedId = focused instanceof HTMLInputElement && picker.contains(focused) ? focused.value : null;
    picker.replaceChildren(
      ...groups.map((g) => {
        const box = h('input', { type: 'checkbox', id: `${base}-pick-${g.id}`, value: g.id, 'data-focus': `${base}-pick-${g.id}` });
        box.addEventListener('change', () => {
          const ids = splitList(input.value).filter((id) => id !== g.id);
          if (box.checked) ids.push(g.id);
          input.value = ids.join(', ');
          input.dispatchEvent(new Event('input', { bubbles: true }));
        });
        return h('label', { class: 'switch', for: box.id }, box, ` ${g.name}`);
      }),
    );
    picker.hidden = groups.length === 0;
    picker.sync();
    if (focusedId !== null) picker.querySelector<HTMLInputElement>(`input[value="${CSS.escape(focusedId)}"]`)?.focus({ preventScroll: true });
  };
  input.addEventListener('input', () => picker.sync());
  picker.hidden = true;
  return picker;
}

function switches(subs: Subscriptions, actions: RulesActions): HTMLElement {
  const set = h('fieldset', { class: 'subscriptions' }, h('legend', {}, t('rules-notify-me-about')));
  for (const kind of KINDS) {
    const box = h('input', { type: 'checkbox', id: `sub-${kind}`, checked: subs[kind] });
    box.addEventListener('change', () => actions.setSubscription(kind, box.checked));
    set.append(h('label', { class: 'switch', for: `sub-${kind}` }, box, ` ${kindLabel(kind)}`));
  }
  return set;
}

function dnd(dndUntil: string | null, actions: RulesActions): HTMLElement {
  const set = h('fieldset', { class: 'dnd' }, h('legend', {}, t('dnd')));
  const until = dndUntil ? new Date(dndUntil) : null;
  set.append(h('p', { id: 'dnd-state' }, until && until > new Date() ? t('dnd-on-until', { when: formatDateTime(until) }) : t('dnd-off')));
  for (const [choice, label] of [
    ['one_hour', t('dnd-hour')],
    ['until_tomorrow_morning', t('dnd-tomorrow')],
    ['off', t('dnd-off')],
  ] as [DndChoice, string][]) {
    const b = h('button', { type: 'button', 'data-dnd': choice, 'data-focus': `dnd-${choice}` }, label);
    b.addEventListener('click', () => actions.setDnd(choice));
    set.append(b);
  }
  return set;
}

type RulesForm = HTMLFormElement & {
  fill(rules: RulesEdit): void;
  setGroups(groups: DirectoryGroup[]): void;
  setRelayMe(all: WhoAmI[]): void;
};

/**
 * One input (or group of checkboxes) per field, described by its hint and
 * its error line. The error line is polite-live and only rewritten when its
 * text changes, so each error is said once.
 */
function fieldRow(field: string, label: string, input: HTMLElement, hint?: string): HTMLElement {
  const base = field.replace('.', '-');
  const errorId = `${base}-error`;
  const hintId = `${base}-hint`;
  input.setAttribute('aria-describedby', hint ? `${hintId} ${errorId}` : errorId);
  input.dataset.field = field;
  // A group is named by its visible label, "(none ticked means any)" included.
  const labelled = input instanceof HTMLInputElement || input instanceof HTMLSelectElement;
  const caption = labelled ? h('label', { for: input.id }, label) : h('span', { class: 'label', id: `${base}-label` }, label);
  if (!labelled) input.setAttribute('aria-labelledby', `${base}-label`);
  return h(
    'div',
    { class: 'field' },
    caption,
    input,
    hint ? h('small', { class: 'hint', id: hintId }, hint) : null,
    h('p', { class: 'error', id: errorId, 'data-error-for': field, 'aria-live': 'polite' }),
  );
}

/** The control to focus for a field: the input, or a group's first box. */
function focusable(el: HTMLElement | null): HTMLElement | null {
  if (!el || el instanceof HTMLInputElement || el instanceof HTMLSelectElement) return el;
  return el.querySelector<HTMLElement>('input, select');
}

function rulesForm(actions: RulesActions): RulesForm {
  const priority = h('select', { id: 'rule-min-priority' }, h('option', { value: '' }, t('rules-priority-any')));
  for (const [code, label] of PRIORITIES()) priority.append(h('option', { value: String(code) }, t('rules-priority-and-above', { priority: label })));
  const groups = h('input', { id: 'rule-groups', autocomplete: 'off', placeholder: '43000012345, 43000012346' });
  const types = h('input', { id: 'rule-types', autocomplete: 'off', placeholder: 'Incident, Problem' });
  const tags = h('input', { id: 'rule-tags', autocomplete: 'off', placeholder: 'vip, outage' });
  const sources = h('div', { id: 'rule-sources', class: 'choices', role: 'group' });
  const sourceBoxes = SOURCES().map(([code, label]) => {
    const box = h('input', { type: 'checkbox', id: `rule-source-${code}`, value: String(code) });
    sources.append(h('label', { class: 'switch', for: box.id }, box, ` ${label}`));
    return box;
  });
  const statuses = h('div', { id: 'rule-statuses', class: 'choices', role: 'group' });
  const statusBoxes = STATUSES().map(([code, label]) => {
    const box = h('input', { type: 'checkbox', id: `rule-status-${code}`, value: String(code) });
    statuses.append(h('label', { class: 'switch', for: box.id }, box, ` ${label}`));
    return box;
  });
  /** Custom statuses in the saved rules: kept as they are, not shown. */
  let customStatuses: number[] = [];
  const onlyMine = h('input', { type: 'checkbox', id: 'rule-only-mine' });
  const quiet = DAYS.map((day) => h('input', { id: `quiet-${day}`, autocomplete: 'off' }));
  const hold = h('input', { type: 'checkbox', id: 'rule-hold' });
  const myIds = h('input', { id: 'me-agent-ids', autocomplete: 'off', placeholder: '320' });
  const myEmails = h('input', { id: 'me-emails', autocomplete: 'off', placeholder: 'tom@acme.example' });
  const myGroups = h('input', { id: 'me-group-ids', autocomplete: 'off', placeholder: '43000012345' });
  const numeric = (id: string) => /^\d{1,20}$/.test(id);
  const groupsPicker = groupPicker(groups, 'rule-groups', numeric);
  const myGroupsPicker = groupPicker(myGroups, 'me-group-ids', (id) => numeric(id) || /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id));
  const fromRelay = h('p', { class: 'hint from-relay', id: 'me-from-relay', hidden: true });
  const save = h('button', { type: 'submit', id: 'rules-save' }, t('rules-save'));
  const outcome = h('p', { id: 'rules-outcome', role: 'status', 'aria-live': 'polite' });

  const form = h(
    'form',
    { class: 'rules-form', 'aria-label': t('rules-form'), novalidate: true },
    h(
      'fieldset',
      {},
      h('legend', {}, t('rules-new-tickets')),
      fieldRow('new_ticket.statuses', t('rules-created-as'), statuses, t('rules-created-as-hint')),
      fieldRow('new_ticket.min_priority', t('rules-min-priority'), priority),
      fieldRow('new_ticket.groups', t('rules-groups'), groups, t('rules-groups-hint')),
      groupsPicker,
      fieldRow('new_ticket.types', t('rules-types'), types, t('rules-types-hint')),
      fieldRow('new_ticket.sources', t('rules-sources'), sources),
      fieldRow('new_ticket.tags', t('rules-tags'), tags, t('rules-tags-hint')),
      h('label', { class: 'switch', for: 'rule-only-mine' }, onlyMine, ` ${t('rules-only-mine')}`),
    ),
    h(
      'fieldset',
      { class: 'quiet-hours', 'aria-describedby': 'quiet-hours-hint' },
      h('legend', {}, t('rules-quiet-hours')),
      h('small', { class: 'hint', id: 'quiet-hours-hint' }, t('rules-quiet-hours-hint')),
      ...DAYS.map((day, i) => fieldRow(`quiet_hours.${day}`, dayName(day), quiet[i]!)),
    ),
    h(
      'fieldset',
      { class: 'me', 'aria-describedby': 'me-hint' },
      h('legend', {}, t('rules-about-me')),
      h('small', { class: 'hint', id: 'me-hint' }, t('rules-about-me-hint')),
      fromRelay,
      fieldRow('me.agent_ids', t('rules-my-agent-ids'), myIds),
      fieldRow('me.emails', t('rules-my-emails'), myEmails),
      fieldRow('me.group_ids', t('rules-my-groups'), myGroups, t('rules-my-groups-hint')),
      myGroupsPicker,
    ),
    h(
      'fieldset',
      {},
      h('legend', {}, t('rules-on-a-call')),
      h('label', { class: 'switch', for: 'rule-hold' }, hold, ` ${t('rules-hold')}`),
    ),
    h('div', { class: 'actions' }, save, outcome),
  ) as RulesForm;

  const read = (): RulesEdit => ({
    new_ticket: {
      statuses: [...statusBoxes.filter((b) => b.checked).map((b) => Number(b.value)), ...customStatuses],
      min_priority: priority.value === '' ? null : Number(priority.value),
      groups: splitList(groups.value),
      types: splitList(types.value),
      sources: sourceBoxes.filter((b) => b.checked).map((b) => Number(b.value)),
      tags: splitList(tags.value),
      only_mine: onlyMine.checked,
    },
    quiet_hours: Object.fromEntries(DAYS.map((day, i) => [day, splitList(quiet[i]!.value)]).filter(([, r]) => r!.length > 0)),
    hold_while_on_call: hold.checked,
    me: { agent_ids: splitList(myIds.value), emails: splitList(myEmails.value), group_ids: splitList(myGroups.value) },
  });

  /** Saving: Save stays focusable (aria-disabled), and a second press waits. */
  let saving = false;
  const setSaveBlocked = (blocked: boolean) => save.setAttribute('aria-disabled', String(blocked));
  const show = (problems: RuleProblem[]) => {
    for (const p of form.querySelectorAll<HTMLElement>('[data-error-for]')) {
      const problem = problems.find((x) => x.field === p.dataset.errorFor);
      const text = problem?.message ?? '';
      if (p.textContent !== text) p.textContent = text;
      const input = form.querySelector<HTMLElement>(`[data-field="${p.dataset.errorFor}"]`);
      if (problem) input?.setAttribute('aria-invalid', 'true');
      else input?.removeAttribute('aria-invalid');
    }
    setSaveBlocked(saving || problems.length > 0);
  };
  /** Focus to the first field a refusal names. */
  const focusFirst = (problems: RuleProblem[]) => {
    const first = problems[0];
    if (first) focusable(form.querySelector<HTMLElement>(`[data-field="${first.field}"]`))?.focus();
  };

  form.fill = (rules: RulesEdit) => {
    const f = rules.new_ticket;
    priority.value = f.min_priority === null ? '' : String(f.min_priority);
    groups.value = f.groups.join(', ');
    types.value = f.types.join(', ');
    tags.value = f.tags.join(', ');
    for (const b of sourceBoxes) b.checked = f.sources.includes(Number(b.value));
    for (const b of statusBoxes) b.checked = f.statuses.includes(Number(b.value));
    customStatuses = f.statuses.filter((s) => !STATUSES().some(([code]) => code === s));
    onlyMine.checked = f.only_mine;
    DAYS.forEach((day, i) => (quiet[i]!.value = (rules.quiet_hours[day] ?? []).join(', ')));
    hold.checked = rules.hold_while_on_call;
    myIds.value = rules.me.agent_ids.join(', ');
    myEmails.value = rules.me.emails.join(', ');
    myGroups.value = rules.me.group_ids.join(', ');
    groupsPicker.sync();
    myGroupsPicker.sync();
    delete form.dataset.dirty;
    show([]);
  };

  // Checked as typed; the core checks again on save.
  form.addEventListener('input', () => {
    form.dataset.dirty = 'true';
    outcome.textContent = '';
    show(checkRules(read()));
  });
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (saving) return;
    const edit = read();
    const problems = checkRules(edit);
    show(problems);
    if (problems.length > 0) {
      focusFirst(problems);
      return;
    }
    saving = true;
    setSaveBlocked(true);
    outcome.textContent = t('rules-saving');
    const answer = await actions.saveRules(edit);
    saving = false;
    if ('code' in answer) {
      if (answer.field && form.querySelector(`[data-error-for="${answer.field}"]`)) {
        outcome.textContent = '';
        const refused = [{ field: answer.field, code: answer.code, message: answer.message }];
        show(refused);
        focusFirst(refused);
      } else {
        setSaveBlocked(false);
        outcome.textContent = answer.message;
      }
      return;
    }
    form.fill(answer);
    outcome.textContent = t('rules-saved');
  });
  form.setGroups = (list: DirectoryGroup[]) => {
    groupsPicker.setGroups(list);
    myGroupsPicker.setGroups(list);
  };
  form.setRelayMe = (all: WhoAmI[]) => {
    const text = relayMeText(all);
    if (fromRelay.textContent !== text) fromRelay.textContent = text;
    fromRelay.hidden = text === '';
    // An empty field shows what is used in its stead.
    const ids = all.flatMap((m) => m.agents.map((a) => a.id));
    const emails = all.flatMap((m) => m.emails);
    const groupIds = all.flatMap((m) => m.groups.map((g) => g.id));
    myIds.placeholder = ids.length > 0 ? ids.join(', ') : '320';
    myEmails.placeholder = emails.length > 0 ? emails.join(', ') : 'tom@acme.example';
    myGroups.placeholder = groupIds.length > 0 ? groupIds.join(', ') : '43000012345';
    // Each field is described by what the relay said, beside its own error.
    for (const input of [myIds, myEmails, myGroups]) {
      const ids = (input.getAttribute('aria-describedby') ?? '').split(' ').filter((id) => id !== '' && id !== 'me-from-relay');
      if (text !== '') ids.push('me-from-relay');
      input.setAttribute('aria-describedby', ids.join(' '));
    }
  };
  return form;
}
