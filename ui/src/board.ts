// The board's logic, free of the DOM: labels, filters and counts. Pure
// functions of the rows and the filter, tested in test/board.test.ts.

import { formatDateTime, locale, t } from './l10n';
import type { AgentRow, AgentStatus } from './types';

/** A status as one key for filters and counts: "online", "custom:Away". */
export function statusKey(status: AgentStatus): string {
  switch (status.kind) {
    case 'custom':
      return `custom:${status.value}`;
    case 'unknown':
      return `unknown:${status.value}`;
    case 'stale':
      return 'stale';
    default:
      return status.kind;
  }
}

export function statusLabel(status: AgentStatus): string {
  switch (status.kind) {
    case 'online':
      return t('status-online');
    case 'busy':
      return t('status-busy');
    case 'after_call_work':
      return t('status-after-call-work');
    case 'offline':
      return t('status-offline');
    case 'custom':
      return status.value;
    case 'unknown':
      return t('status-unknown', { code: status.value });
    case 'stale':
      return t('status-stale');
  }
}

/** The status cell's words: a stale row says since when it is unknown. */
export function statusText(status: AgentStatus): string {
  if (status.kind !== 'stale') return statusLabel(status);
  const heard = new Date(status.value);
  return t('status-stale-since', { when: formatDateTime(heard) });
}

/**
 * The row as shown at `now`: a state not heard of for longer than
 * `staleMs` may no longer hold, so it reads "unknown since ..." rather than
 * a stale "online". `staleMs` 0: never.
 */
export function asShown(row: AgentRow, now: Date, staleMs: number): AgentRow {
  if (staleMs <= 0 || !row.heard_at) return row;
  const heard = Date.parse(row.heard_at);
  if (Number.isNaN(heard) || now.getTime() - heard <= staleMs) return row;
  return { ...row, status: { kind: 'stale', value: row.heard_at } };
}

export function availableOnLabel(row: AgentRow): string {
  const on = row.available_on;
  if (on === null || on === 'nowhere') return '—';
  if (on === 'browser') return t('available-browser');
  if (on === 'mobile') return t('available-mobile');
  return t('available-device', { code: on.unknown });
}

export function teamNames(row: AgentRow): string[] {
  // Never a bare id: the directory has not named this team (yet).
  return row.teams.map((team) => team.name ?? t('team-unknown'));
}

export interface BoardFilter {
  /** Free text, matched against name, email and team names. */
  text: string;
  /** A team id, or '' for all. */
  team: string;
  /** A statusKey, or '' for all. */
  status: string;
  onlyMyTeams: boolean;
}

export const NO_FILTER: BoardFilter = { text: '', team: '', status: '', onlyMyTeams: false };

/** The team ids of the rows that are me (by agent id or email). */
export function myTeams(rows: Iterable<AgentRow>, me: string[]): Set<string> {
  const mine = new Set(me.map((m) => m.toLowerCase()));
  const teams = new Set<string>();
  for (const row of rows) {
    if (mine.has(row.id.toLowerCase()) || (row.email !== null && mine.has(row.email.toLowerCase()))) {
      for (const t of row.teams) teams.add(t.id);
    }
  }
  return teams;
}

/**
 * What the log region says of one agent's change: a status change of a
 * colleague in one of my teams, in words; null for anything else (my own
 * change, another team, the same status).
 */
export function teamStatusNews(before: AgentRow | undefined, after: AgentRow | null, me: string[], mine: Set<string>): string | null {
  if (!before || !after || statusKey(before.status) === statusKey(after.status)) return null;
  const self = new Set(me.map((m) => m.toLowerCase()));
  if (self.has(after.id.toLowerCase()) || (after.email !== null && self.has(after.email.toLowerCase()))) return null;
  if (!after.teams.some((t) => mine.has(t.id))) return null;
  const name = after.name ?? after.email ?? t('agent-fallback-name', { id: after.id });
  return t('team-status-news', { name, status: statusLabel(after.status) });
}

/** Whether `row` passes everything but the status filter. */
function passesScope(row: AgentRow, f: BoardFilter, mine: Set<string>): boolean {
  if (f.team !== '' && !row.teams.some((t) => t.id === f.team)) return false;
  if (f.onlyMyTeams && !row.teams.some((t) => mine.has(t.id))) return false;
  const text = f.text.trim().toLowerCase();
  if (text !== '') {
    const hay = [row.name ?? '', row.email ?? '', ...teamNames(row)].join('\n').toLowerCase();
    if (!hay.includes(text)) return false;
  }
  return true;
}

export function matches(row: AgentRow, f: BoardFilter, mine: Set<string>): boolean {
  return passesScope(row, f, mine) && (f.status === '' || statusKey(row.status) === f.status);
}

/**
 * Rows per status among those the other filters let through, so the counts
 * say how many a status filter would show.
 */
export function countByStatus(
  rows: Iterable<AgentRow>,
  f: BoardFilter,
  mine: Set<string>,
): Map<string, { label: string; count: number }> {
  const counts = new Map<string, { label: string; count: number }>();
  for (const row of rows) {
    if (!passesScope(row, f, mine)) continue;
    const key = statusKey(row.status);
    const entry = counts.get(key) ?? { label: statusLabel(row.status), count: 0 };
    entry.count += 1;
    counts.set(key, entry);
  }
  return counts;
}

/** "4 min", "2 h 5 min", "3 d": time in the current status at `now`. */
export function timeInStatus(since: string | null, now: Date): string {
  if (since === null) return '—';
  const start = Date.parse(since);
  if (Number.isNaN(start)) return '—';
  const minutes = Math.max(0, Math.floor((now.getTime() - start) / 60000));
  if (minutes < 1) return t('in-status-just-now');
  if (minutes < 60) return t('in-status-minutes', { minutes });
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return minutes % 60 === 0 ? t('in-status-hours', { hours }) : t('in-status-hours-minutes', { hours, minutes: minutes % 60 });
  return t('in-status-days', { days: Math.floor(hours / 24) });
}

/** Rows sorted for display: by name (then id), stable across updates. */
export function sortRows(rows: AgentRow[]): AgentRow[] {
  return [...rows].sort((a, b) =>
    (a.name ?? a.id).localeCompare(b.name ?? b.id, locale().tag, { sensitivity: 'base' }) ||
    a.id.localeCompare(b.id),
  );
}
