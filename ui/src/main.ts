// The window: four tabs over one snapshot from the tray process, kept live
// by its events. All state changes go through the window's commands, each
// one request to the tray; when no tray answers, the page says so and
// offers to start it.

import { focusKey, restoreFocus } from './dom';
import { setLocale, t, translatePage } from './l10n';
import { commandError, ipc, trayIsDown } from './ipc';
import type { CommandError, Snapshot } from './types';
import { editAccount, renderAccounts, showAccountsNotice } from './views/accounts';
import { BoardView } from './views/board';
import { newlyArrived, renderFeed } from './views/feed';
import { renderRules } from './views/rules';

const $ = (id: string) => {
  const el = document.getElementById(id);
  if (!el) throw new Error(`#${id} is missing from index.html`);
  return el;
};

const board = new BoardView($('board'));

function showError(message: string): void {
  $('status').textContent = message;
}

/** A failed snapshot: the tray is not running (offer to start it), or a refusal. */
function showSnapshotError(e: unknown): void {
  const error = commandError(e);
  const down = trayIsDown(error);
  $('tray-down').hidden = !down;
  showError(down ? t('not-connected') : error.message);
}

async function startTray(): Promise<void> {
  const button = $('start-tray') as HTMLButtonElement;
  button.disabled = true;
  try {
    await ipc.startTray();
    render(await ipc.snapshot());
  } catch (e) {
    showSnapshotError(e);
  } finally {
    button.disabled = false;
  }
}

function statusLine(s: Snapshot): string {
  if (s.config_problem) return t('status-config-problem', { problem: s.config_problem });
  if (s.demo) return t('status-demo');
  const live = s.accounts.filter((a) => a.connection.state === 'live').length;
  return t('status-connected', { live, count: s.accounts.length });
}

/** A command's refusal, or null when it went through. */
async function refusal(call: Promise<unknown>): Promise<CommandError | null> {
  try {
    await call;
    return null;
  } catch (e) {
    return commandError(e);
  }
}

/** The newest feed item announced so far; null until the first snapshot. */
let newestSeen: number | null = null;

/** Said once by the polite log region outside the tabs, whatever tab is open. */
function say(text: string): void {
  const log = $('announcements');
  log.append(Object.assign(document.createElement('p'), { textContent: text }));
  // Bounded: a screen reader has read them by now.
  while (log.childElementCount > 20) log.firstElementChild?.remove();
}

/** New notifications, each said once. */
function announce(s: Snapshot): void {
  for (const text of newlyArrived(s.feed, newestSeen)) say(text);
  newestSeen = Math.max(newestSeen ?? 0, ...s.feed.map((item) => item.id));
}

/** Draws a snapshot; the control that had focus has it again after. */
function render(s: Snapshot): void {
  const focused = focusKey();
  draw(s);
  restoreFocus(focused);
}

function draw(s: Snapshot): void {
  // The tray says the language: the window speaks as the notifications do.
  if (s.locale && setLocale(s.locale)) {
    translatePage();
    board.relocalize();
    // Built once and kept, these are built again in the new language.
    $('rules').replaceChildren();
    $('accounts').replaceChildren();
  }
  $('tray-down').hidden = true;
  announce(s);
  $('status').textContent = statusLine(s);
  board.load(s.board, s.me, s.stale_after_hours ?? 0);
  renderFeed($('feed'), s.feed, s.away, {
    open: (id) => ipc.openFeedItem(id).catch((e) => showError(commandError(e).message)),
    act: (id, action) => ipc.actOnFeedItem(id, action).catch((e) => showError(commandError(e).message)),
    dismissAway: () => ipc.dismissAway().then(refresh, (e) => showError(commandError(e).message)),
  });
  renderRules(
    $('rules'),
    { subscriptions: s.subscriptions, dndUntil: s.dnd_until, rules: s.rules, groups: s.groups ?? [], relayMe: s.relay_me ?? [] },
    {
      setSubscription: (kind, on) => ipc.setSubscription(kind, on).catch((e) => showError(commandError(e).message)),
      setDnd: (choice) => ipc.setDnd(choice).then(refresh, (e) => showError(commandError(e).message)),
      saveRules: (rules) => ipc.saveRules(rules).catch(commandError),
    },
  );
  renderAccounts($('accounts'), s.accounts, s.demo, {
    add: (account, secret) => refusal(ipc.addAccount(account, secret)),
    redeem: (account, code) => refusal(ipc.redeemInvite(account, code)),
    update: (account, secret) => refusal(ipc.updateAccount(account, secret)),
    test: (account, secret) => refusal(ipc.testConnection(account, secret)),
    remove: (name) => ipc.removeAccount(name).catch((e) => showError(commandError(e).message)),
  });
  // A clicked invitation link: its outcome, on the Accounts tab.
  if (s.accounts_notice) {
    selectTab('tab-accounts');
    showAccountsNotice($('accounts'), s.accounts_notice);
  }
  // The tray's "sign-in needed" line: straight to the form for a new secret.
  if (s.edit_account) {
    selectTab('tab-accounts');
    editAccount($('accounts'), s.accounts, s.edit_account);
  }
}

let pending: ReturnType<typeof setTimeout> | null = null;

/** Asks for the snapshot again; bursts of events ask once. */
function refresh(): void {
  if (pending) return;
  pending = setTimeout(async () => {
    pending = null;
    try {
      render(await ipc.snapshot());
    } catch (e) {
      showSnapshotError(e);
    }
  }, 50);
}

const tabs = () => [...document.querySelectorAll<HTMLButtonElement>('[role=tab]')];

function select(tab: HTMLButtonElement): void {
  for (const t of tabs()) {
    const on = t === tab;
    t.setAttribute('aria-selected', String(on));
    t.tabIndex = on ? 0 : -1;
    $(t.getAttribute('aria-controls') ?? '').hidden = !on;
  }
  tab.focus();
}

function selectTab(id: string): void {
  const tab = document.getElementById(id);
  if (tab instanceof HTMLButtonElement) select(tab);
}

function setupTabs(): void {
  const all = tabs();
  all.forEach((tab, i) => {
    tab.addEventListener('click', () => select(tab));
    tab.addEventListener('keydown', (e) => {
      const step = e.key === 'ArrowRight' ? 1 : e.key === 'ArrowLeft' ? -1 : 0;
      if (step !== 0) select(all[(i + step + all.length) % all.length]!);
    });
  });
}

async function start(): Promise<void> {
  setupTabs();
  $('start-tray').addEventListener('click', () => void startTray());
  await ipc.onBoardRow(({ agent_id, row }) => {
    const news = board.update(agent_id, row);
    if (news) say(news);
  });
  await ipc.onViewChanged(refresh);
  setInterval(() => board.tick(), 30_000);
  try {
    render(await ipc.snapshot());
  } catch (e) {
    showSnapshotError(e);
  }
}

void start();

