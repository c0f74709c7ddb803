// Recent notifications, newest first, each opening its item; on top, what
// arrived while the agent was away.

import { clear, h } from '../dom';
import type { AwaySummary, FeedAction, FeedActionId, FeedItem, Kind } from '../types';

export const KIND_PLURAL: Record<Kind, string> = {
  missed_call: 'missed calls',
  new_ticket: 'new tickets',
  conversation_reassigned: 'reassigned conversations',
  ticket_reassigned: 'reassigned tickets',
  agent_status: 'agent status changes',
  first_response_due: 'first responses coming due',
};

/** Why an item waited, in words (a glyph alone says nothing to a screen reader). */
const HELD_REASON = {
  do_not_disturb: 'held during do-not-disturb',
  quiet_hours: 'held during quiet hours',
  on_call: 'held while you were on a call',
  away: 'missed while you were away',
};

const AWAY_REASON = {
  do_not_disturb: 'While you were in do-not-disturb',
  quiet_hours: 'During quiet hours',
  on_call: 'While you were on a call',
  away: 'While you were away',
};

export interface FeedActions {
  open(id: number): void;
  act(id: number, action: FeedActionId): void;
  dismissAway(): void;
}

/** A row's action: its key for the tray, its label, and a name that says
 * which item it acts on (a list of "Assign to me" buttons says nothing). */
function actionButton(a: FeedAction, title: string): { id: FeedActionId; label: string; name: string } {
  switch (a.action) {
    case 'assign_to_me':
      return { id: 'assign', label: 'Assign to me', name: `Assign to me: ${title}` };
    case 'call_back':
      return { id: 'call_back', label: 'Call back', name: `Call back ${a.number}` };
    case 'dial':
      return { id: 'dial', label: 'Call back', name: `Call back ${a.number}` };
    case 'remind_later':
      return { id: 'remind', label: 'Remind me in 15 min', name: `Remind me in 15 min: ${title}` };
  }
}

export function renderFeed(root: HTMLElement, items: FeedItem[], away: AwaySummary | null, actions: FeedActions): void {
  clear(root);
  if (away) {
    const parts = Object.entries(away.counts).map(([kind, n]) => `${n} ${KIND_PLURAL[kind as Kind]}`);
    const dismiss = h('button', { type: 'button', 'data-focus': 'away-dismiss' }, 'Dismiss');
    dismiss.addEventListener('click', () => actions.dismissAway());
    root.append(
      h('aside', { class: 'away', 'aria-label': 'While you were away' }, h('strong', {}, AWAY_REASON[away.reason]), h('p', {}, parts.join(', ')), dismiss),
    );
  }
  if (items.length === 0) {
    root.append(h('p', { class: 'empty' }, 'No notifications yet.'));
    return;
  }
  const list = h('ol', { class: 'feed', 'aria-label': 'Recent notifications' });
  for (const item of items) {
    const when = new Date(item.shown_at);
    const li = h(
      'li',
      { 'data-feed': String(item.id), class: item.held ? 'held' : undefined },
      h('div', { class: 'title' }, item.title),
      h('div', { class: 'body' }, item.body),
      h('time', { datetime: item.shown_at }, when.toLocaleString()),
    );
    if (item.held) li.append(h('div', { class: 'held-note' }, HELD_REASON[item.held]));
    if (item.url) {
      // Named for its item: a list of buttons all called "Open" says nothing.
      const open = h('button', { type: 'button', class: 'open', 'aria-label': `Open ${item.title}`, 'data-focus': `open-${item.id}` }, 'Open');
      open.addEventListener('click', () => actions.open(item.id));
      li.append(open);
    }
    for (const a of item.actions ?? []) {
      const b = actionButton(a, item.title);
      const button = h('button', { type: 'button', class: `act act-${b.id}`, 'aria-label': b.name, 'data-focus': `${b.id}-${item.id}` }, b.label);
      button.addEventListener('click', () => actions.act(item.id, b.id));
      li.append(button);
    }
    list.append(li);
  }
  root.append(list);
}

/**
 * What the log region says of a new snapshot's feed: the items newer than
 * the newest already seen, oldest first; nothing on the first snapshot
 * (what was there before the window opened is not news).
 */
export function newlyArrived(items: FeedItem[], newestSeen: number | null): string[] {
  if (newestSeen === null) return [];
  return items
    .filter((item) => item.id > newestSeen)
    .sort((a, b) => a.id - b.id)
    .map((item) => `${item.title}. ${item.body}`);
}
