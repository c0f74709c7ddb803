// The shapes the app's IPC commands send (src-tauri/src/commands.rs and the
// core's serde types). Open sets keep their raw form: a status the UI does
// not know is shown by its label, never dropped.

import type { Locale } from './l10n';
import type { RulesEdit } from './rules';

export type { RulesEdit };

export type Kind =
  | 'missed_call'
  | 'new_ticket'
  | 'conversation_reassigned'
  | 'ticket_reassigned'
  | 'agent_status'
  | 'first_response_due';

export const KINDS: Kind[] = [
  'missed_call',
  'new_ticket',
  'conversation_reassigned',
  'ticket_reassigned',
  'agent_status',
  'first_response_due',
];

/** The core's adjacently tagged enum: {"kind":"online"}, {"kind":"custom","value":"Away"}. */
export type AgentStatus =
  | { kind: 'online' | 'busy' | 'after_call_work' | 'offline' }
  | { kind: 'custom'; value: string }
  | { kind: 'unknown'; value: number }
  /** Not from the app: shown for a row not heard of for too long. */
  | { kind: 'stale'; value: string };

export interface Team {
  id: string;
  name: string | null;
}

export interface AgentRow {
  id: string;
  name: string | null;
  email: string | null;
  status: AgentStatus;
  available_on: 'nowhere' | 'browser' | 'mobile' | { unknown: number } | null;
  teams: Team[];
  since: string | null;
  /** When the app last heard of the agent. */
  heard_at?: string | null;
}

export type Connection =
  | { state: 'connecting' }
  | { state: 'live'; since: string }
  | { state: 'backing_off'; attempt: number; retry_at: string; reason: string }
  | { state: 'sign_in_needed'; status: number }
  | { state: 'stopped' };

export type AccountSettings =
  | { kind: 'relay'; name: string; url: string; fallback_urls?: string[]; domains?: string[] }
  | { kind: 'xelion'; name: string; url: string; tenant: string; user: string; user_space?: string | null; admin?: boolean };

export interface AccountView {
  name: string;
  settings: AccountSettings | null;
  connection: Connection;
  problem: 'keyring_unavailable' | 'keyring_missing' | null;
  last_event_at: string | null;
}

export interface FeedItem {
  id: number;
  kind: Kind;
  title: string;
  body: string;
  url: string | null;
  shown_at: string;
  held: 'do_not_disturb' | 'quiet_hours' | 'on_call' | 'away' | null;
  /** What the row's buttons do, as the popup's (absent: none). */
  actions?: FeedAction[];
}

/** A feed row's action, as the core sends it. */
export type FeedAction =
  | { action: 'assign_to_me'; ticket: string }
  | { action: 'call_back'; number: string }
  | { action: 'remind_later' }
  | { action: 'dial'; number: string };

/** The key the tray takes back for each (`ActionId` in the core). */
export type FeedActionId = 'assign' | 'call_back' | 'remind' | 'dial';

export interface AwaySummary {
  reason: 'do_not_disturb' | 'quiet_hours' | 'on_call' | 'away';
  counts: Partial<Record<Kind, number>>;
  released_at: string;
}

export type Subscriptions = Record<Kind, boolean>;

export interface Snapshot {
  demo: boolean;
  accounts: AccountView[];
  board: AgentRow[];
  me: string[];
  feed: FeedItem[];
  away: AwaySummary | null;
  subscriptions: Subscriptions;
  rules: RulesEdit;
  dnd_until: string | null;
  config_problem: string | null;
  /** Board rows not heard of for longer show as unknown; 0: never. */
  stale_after_hours?: number;
  /** Open this account's edit form, once (its secret was refused). */
  edit_account?: string | null;
  /** Every named group and team, from the relays' directories, by name. */
  groups?: DirectoryGroup[];
  /** Who each relay says the agent is (`GET /v1/me`): "About me" shows it. */
  relay_me?: WhoAmI[];
  /** Said once on the Accounts tab (an invitation link's outcome). */
  accounts_notice?: string | null;
  /** The language and locale tag the tray chose (config, else the OS). */
  locale?: Locale;
}

/** A relay token's owner: emails, agent ids per product, groups. */
export interface WhoAmI {
  name: string;
  emails: string[];
  agents: { product: string; id: string }[];
  groups: { product: string; id: string; name?: string }[];
}

/** A Freshdesk group or a Freshcaller team, as the directory names it. */
export interface DirectoryGroup {
  product: string;
  id: string;
  name: string;
}

/** What a refused command sends back. */
export interface CommandError {
  code: string;
  message: string;
  /** The input at fault, when there is one: `quiet_hours.mon`. */
  field?: string;
}

export type NewAccount =
  | { kind: 'relay'; name: string; url: string; fallback_urls: string[]; domains: string[] }
  | { kind: 'xelion'; name: string; url: string; tenant: string; user: string; admin: boolean; user_space?: string };

export type DndChoice = 'one_hour' | 'half_an_hour' | 'until_tomorrow_morning' | 'off';
