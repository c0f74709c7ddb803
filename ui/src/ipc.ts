// The window's IPC, typed: one function per command in
// src-tauri/src/commands.rs (each one request to the tray process), and the
// two events the window passes on from it.

import { invoke } from '@tauri-apps/api/core';
import { listen, type UnlistenFn } from '@tauri-apps/api/event';

import type {
  AccountSettings,
  AgentRow,
  CommandError,
  DndChoice,
  FeedActionId,
  Kind,
  NewAccount,
  RulesEdit,
  Snapshot,
} from './types';

export const ipc = {
  snapshot: () => invoke<Snapshot>('get_snapshot'),
  setSubscription: (kind: Kind, on: boolean) => invoke<void>('set_subscription', { kind, on }),
  setDnd: (choice: DndChoice) => invoke<void>('set_dnd', { choice }),
  /** The secret goes to the OS keyring; it is never sent back. */
  addAccount: (account: NewAccount, secret: string) =>
    invoke<AccountSettings>('add_account', { account, secret }),
  /** The code goes to the tray, which spends it at the relay; the token
   * the relay gives goes to the keyring, never to the page. */
  redeemInvite: (account: NewAccount, code: string) =>
    invoke<AccountSettings>('redeem_invite', { account, code }),
  /** A secret, when given, replaces the stored one. */
  updateAccount: (account: NewAccount, secret: string | null) =>
    invoke<AccountSettings>('update_account', { account, secret }),
  /** With the typed secret, or else the one stored for the account's name. */
  testConnection: (account: NewAccount, secret: string | null) =>
    invoke<void>('test_connection', { account, secret }),
  removeAccount: (name: string) => invoke<void>('remove_account', { name }),
  /** Answers with the rules as saved. */
  saveRules: (rules: RulesEdit) => invoke<RulesEdit>('save_rules', { rules }),
  openFeedItem: (id: number) => invoke<void>('open_feed_item', { id }),
  /** A row's button, carried out by the tray as from the popup. */
  actOnFeedItem: (id: number, action: FeedActionId) => invoke<void>('act_on_feed_item', { id, action }),
  dismissAway: () => invoke<void>('dismiss_away'),
  /** Starts the tray process when none runs; resolves once it answers. */
  startTray: () => invoke<void>('start_tray'),
  onBoardRow: (f: (change: { agent_id: string; row: AgentRow | null }) => void): Promise<UnlistenFn> =>
    listen<{ agent_id: string; row: AgentRow | null }>('board-row', (e) => f(e.payload)),
  onViewChanged: (f: () => void): Promise<UnlistenFn> => listen('view-changed', () => f()),
};

/** A refused command's `{code, message}`, or a generic one. */
export function commandError(e: unknown): CommandError {
  if (typeof e === 'object' && e !== null && 'code' in e && 'message' in e) {
    const field = 'field' in e && typeof e.field === 'string' ? { field: e.field } : {};
    return { code: String(e.code), message: String(e.message), ...field };
  }
  return { code: 'unexpected', message: String(e) };
}

/** The window's refusal when the tray process does not answer. */
export function trayIsDown(e: CommandError): boolean {
  return e.code === 'tray_not_running' || e.code === 'tray_gone';
}
