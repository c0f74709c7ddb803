// The subscriptions (the same switches as the tray, both ways) and
// do-not-disturb.

import { clear, h } from '../dom';
import { KINDS, type DndChoice, type Kind, type Subscriptions } from '../types';

export const KIND_LABEL: Record<Kind, string> = {
  missed_call: 'Missed calls',
  new_ticket: 'New tickets',
  conversation_reassigned: 'Reassigned conversations',
  ticket_reassigned: 'Reassigned tickets',
  agent_status: 'Agent status changes',
};

export interface RulesActions {
  setSubscription(kind: Kind, on: boolean): void;
  setDnd(choice: DndChoice): void;
}

export function renderRules(root: HTMLElement, subs: Subscriptions, dndUntil: string | null, actions: RulesActions): void {
  clear(root);
  const switches = h('fieldset', { class: 'subscriptions' }, h('legend', {}, 'Notify me about'));
  for (const kind of KINDS) {
    const box = h('input', { type: 'checkbox', id: `sub-${kind}`, checked: subs[kind] });
    box.addEventListener('change', () => actions.setSubscription(kind, box.checked));
    switches.append(h('label', { class: 'switch', for: `sub-${kind}` }, box, ` ${KIND_LABEL[kind]}`));
  }
  const dnd = h('fieldset', { class: 'dnd' }, h('legend', {}, 'Do not disturb'));
  const until = dndUntil ? new Date(dndUntil) : null;
  dnd.append(h('p', { id: 'dnd-state' }, until && until > new Date() ? `On until ${until.toLocaleString()}` : 'Off'));
  for (const [choice, label] of [
    ['one_hour', 'For 1 hour'],
    ['until_tomorrow_morning', 'Until tomorrow 08:00'],
    ['off', 'Off'],
  ] as [DndChoice, string][]) {
    const b = h('button', { type: 'button', 'data-dnd': choice }, label);
    b.addEventListener('click', () => actions.setDnd(choice));
    dnd.append(b);
  }
  root.append(switches, dnd);
}
