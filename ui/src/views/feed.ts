// Recent notifications, newest first, each opening its item; on top, what
// arrived while the agent was away.

import { clear, h } from '../dom';
import { formatDateTime, locale, t } from '../l10n';
import type { AwaySummary, FeedAction, FeedActionId, FeedItem, Kind } from '../types';

/** A count of one kind ("3 missed calls"), in the window's language. */
export function kindCount(kind: Kind, count: number): string {
  return t('kind-count', { kind, count });
}

/** Why an item waited, in words (a glyph alone says nothing to a screen reader). */
const HELD_REASON = {
  do_not_disturb: 'feed-held-do-not-disturb',
  quiet_hours: 'feed-held-quiet-hours',
  on_call: 'feed-held-on-call',
  away: 'feed-held-away',
};

const AWAY_REASON = {
  do_not_disturb: 'away-do-not-disturb',
  quiet_hours: 'away-quiet-hours',
  on_call: 'away-on-call',
  away: 'away-away',
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
      return { id: 'assign', label: t('feed-assign'), name: t('feed-assign-named', { title }) };
    case 'call_back':
      return { id: 'call_back', label: t('feed-call-back'), name: t('feed-call-back-named', { number: a.number }) };
    case 'dial':
      return { id: 'dial', label: t('feed-call-back'), name: t('feed-call-back-named', { number: a.number }) };
    case 'remind_later':
      return { id: 'remind', label: t('feed-remind', { minutes: 15 }), name: t('feed-remind-named', { minutes: 15, title }) };
  }
}

export function renderFeed(root: HTMLElement, items: FeedItem[], away: AwaySummary | null, actions: FeedActions): void {
  clear(root);
  if (away) {
    const parts = Object.entries(away.counts).map(([kind, n]) => kindCount(kind as Kind, n));
    const dismiss = h('button', { type: 'button', 'data-focus': 'away-dismiss' }, t('feed-dismiss'));
    dismiss.addEventListener('click', () => actions.dismissAway());
    root.append(
      h(
        'aside',
        { class: 'away', 'aria-label': t('away-away') },
        h('strong', {}, t(AWAY_REASON[away.reason])),
        h('p', {}, new Intl.ListFormat(locale().tag, { type: 'conjunction' }).format(parts)),
        dismiss,
      ),
    );
  }
  if (items.length === 0) {
    root.append(h('p', { class: 'empty' }, t('feed-empty')));
    return;
  }
  const list = h('ol', { class: 'feed', 'aria-label': t('feed-list') });
  for (const item of items) {
    const when = new Date(item.shown_at);
    const li = h(
      'li',
      { 'data-feed': String(item.id), class: item.held ? 'held' : undefined },
      h('div', { class: 'title' }, item.title),
      h('div', { class: 'body' }, item.body),
      h('time', { datetime: item.shown_at }, formatDateTime(when)),
    );
    if (item.held) li.append(h('div', { class: 'held-note' }, t(HELD_REASON[item.held])));
    if (item.url) {
      // Named for its item: a list of buttons all called "Open" says nothing.
      const open = h(
        'button',
        { type: 'button', class: 'open', 'aria-label': t('feed-open-named', { title: item.title }), 'data-focus': `open-${item.id}` },
        t('feed-open'),
      );
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
