// The Rules tab's logic, free of the DOM: the form's text to the core's
// RulesEdit and back, and the checks the core makes on save
// (crates/core/src/rules/edit.rs), made here as the agent types. Both are
// held to the same cases in tests/fixtures/rules-edit/.

import { t } from './l10n';

export const DAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export type Day = (typeof DAYS)[number];

/** A day's name in the window's language. */
export function dayName(day: Day): string {
  return t(`day-${day}`);
}

/** Freshdesk's ticket sources, by code (crates/core/src/event/freshdesk.rs), named. */
export const SOURCE_CODES = [1, 2, 3, 5, 6, 7, 8, 9, 10];
export const SOURCES = (): [number, string][] => SOURCE_CODES.map((code) => [code, t('ticket-source', { code })]);

/** Freshdesk's own ticket statuses; custom ones are numbered from 6. */
export const STATUSES = (): [number, string][] =>
  [2, 3, 4, 5].map((code) => [code, t('ticket-status', { code })]);
/** The highest status number taken (crates/core/src/rules/edit.rs). */
export const MAX_STATUS = 10_000;

export const PRIORITIES = (): [number, string][] => [1, 2, 3, 4].map((code) => [code, t('ticket-priority', { code })]);

export interface TicketFilter {
  /** Created in one of these statuses; empty means any. */
  statuses: number[];
  min_priority: number | null;
  groups: string[];
  types: string[];
  sources: number[];
  tags: string[];
  only_mine: boolean;
}

/** Who "me" is: for "only mine", "only my teams" and "reassigned to me". */
export interface Me {
  agent_ids: string[];
  emails: string[];
  group_ids: string[];
}

/** What save_rules takes and the snapshot's `rules` holds. */
export interface RulesEdit {
  new_ticket: TicketFilter;
  quiet_hours: Partial<Record<Day, string[]>>;
  hold_while_on_call: boolean;
  me: Me;
}

export interface RuleProblem {
  /** As the core names it: `new_ticket.groups`, `quiet_hours.mon`. */
  field: string;
  code: string;
  message: string;
}

const MAX_ENTRIES = 100;
const MAX_TEXT = 100;

/** "a, b,,c " -> ["a", "b", "c"]: how the form's list fields are typed. */
export function splitList(text: string): string[] {
  return text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

const RANGE = /^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$/;

function validRange(s: string): boolean {
  const m = RANGE.exec(s);
  if (!m) return false;
  const [h1, m1, h2, m2] = m.slice(1).map(Number) as [number, number, number, number];
  return h1 < 24 && h2 < 24 && m1 < 60 && m2 < 60;
}

const groupId = (g: string) => /^\d{1,20}$/.test(g.trim());
/** My groups may be Freshchat's too, whose ids are UUIDs. */
const myGroupId = (g: string) => groupId(g) || /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(g.trim());

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

function agentId(a: string): boolean {
  const t = a.trim();
  return t !== '' && [...t].length <= 64 && !/[\s,]/.test(t) && !CONTROL.test(t);
}

/** One `@` with text on both sides, no spaces: what a person can mistype. */
function email(e: string): boolean {
  const t = e.trim();
  const at = t.indexOf('@');
  if (at < 1) return false;
  const domain = t.slice(at + 1);
  return (
    domain.includes('.') &&
    !domain.startsWith('.') &&
    !domain.endsWith('.') &&
    !domain.includes('@') &&
    t.length <= 254 &&
    !/[\s,]/.test(t) &&
    !CONTROL.test(t)
  );
}

function plainText(s: string, noCommas: boolean): boolean {
  const t = s.trim();
  return t !== '' && [...t].length <= MAX_TEXT && !CONTROL.test(t) && !(noCommas && t.includes(','));
}

/** Every field's first problem; none when the core would accept the edit. */
export function checkRules(edit: RulesEdit): RuleProblem[] {
  const problems: RuleProblem[] = [];
  const f = edit.new_ticket;
  const add = (field: string, code: string, message: string) => {
    if (!problems.some((p) => p.field === field)) problems.push({ field, code, message });
  };
  const many = (field: string, n: number) => {
    if (n > MAX_ENTRIES) add(field, 'rules_too_many', t('rules-too-many', { field, max: MAX_ENTRIES }));
  };
  if (f.min_priority !== null && !(f.min_priority >= 1 && f.min_priority <= 4)) {
    add('new_ticket.min_priority', 'rules_priority', t('rules-bad-priority', { priority: f.min_priority }));
  }
  many('new_ticket.groups', f.groups.length);
  for (const g of f.groups) {
    if (!groupId(g)) add('new_ticket.groups', 'rules_group', t('rules-bad-group', { group: g }));
  }
  many('new_ticket.types', f.types.length);
  for (const type of f.types) {
    if (!plainText(type, false)) add('new_ticket.types', 'rules_type', t('rules-bad-type', { max: MAX_TEXT, type }));
  }
  many('new_ticket.statuses', f.statuses.length);
  for (const s of f.statuses) {
    if (!(Number.isInteger(s) && s >= 2 && s <= MAX_STATUS)) {
      add('new_ticket.statuses', 'rules_status', t('rules-bad-status', { status: s }));
    }
  }
  many('new_ticket.sources', f.sources.length);
  for (const s of f.sources) {
    if (!SOURCE_CODES.includes(s)) add('new_ticket.sources', 'rules_source', t('rules-bad-source', { source: s }));
  }
  many('new_ticket.tags', f.tags.length);
  for (const tag of f.tags) {
    if (!plainText(tag, true)) add('new_ticket.tags', 'rules_tag', t('rules-bad-tag', { max: MAX_TEXT, tag }));
  }
  many('me.agent_ids', edit.me.agent_ids.length);
  for (const a of edit.me.agent_ids) {
    if (!agentId(a)) add('me.agent_ids', 'rules_agent_id', t('rules-bad-agent-id', { id: a }));
  }
  many('me.emails', edit.me.emails.length);
  for (const e of edit.me.emails) {
    if (!email(e)) add('me.emails', 'rules_email', t('rules-bad-email', { email: e }));
  }
  many('me.group_ids', edit.me.group_ids.length);
  for (const g of edit.me.group_ids) {
    if (!myGroupId(g))
      add('me.group_ids', 'rules_group', t('rules-bad-my-group', { group: g }));
  }
  for (const day of DAYS) {
    const ranges = edit.quiet_hours[day] ?? [];
    many(`quiet_hours.${day}`, ranges.length);
    for (const r of ranges) {
      if (r.trim() !== '' && !validRange(r)) {
        add(`quiet_hours.${day}`, 'rules_quiet_hours', t('rules-bad-quiet-hours', { day: dayName(day), range: r }));
      }
    }
  }
  return problems;
}
