// The team's live board: one row per agent, filters, counts per status.
// Status changes arrive one row at a time and update that row in place.

import {
  availableOnLabel,
  countByStatus,
  matches,
  myTeams,
  teamStatusNews,
  NO_FILTER,
  sortRows,
  asShown,
  statusKey,
  statusLabel,
  statusText,
  teamNames,
  timeInStatus,
  type BoardFilter,
} from '../board';
import { clear, h } from '../dom';
import { formatCount, t, tAttr } from '../l10n';
import type { AgentRow } from '../types';

export class BoardView {
  /** Rows as the app sent them. */
  private raw = new Map<string, AgentRow>();
  /** Rows as shown: stale ones read "unknown since ...". */
  private rows = new Map<string, AgentRow>();
  private staleMs = 0;
  private me: string[] = [];
  private filter: BoardFilter = { ...NO_FILTER };
  private readonly body: HTMLTableSectionElement;
  private readonly counts: HTMLElement;
  private readonly teamSelect: HTMLSelectElement;
  private readonly statusSelect: HTMLSelectElement;
  private readonly empty: HTMLElement;
  private readonly rendered = new Map<string, HTMLTableRowElement>();
  /** Each row's data as text: computed once per row received. */
  private sigs = new Map<string, string>();
  /** Each shown row's data as last drawn, to redraw only rows that changed. */
  private readonly drawn = new Map<string, string>();

  constructor(root: HTMLElement, private readonly now: () => Date = () => new Date()) {
    // The fixed texts carry their message ids: a change of language says
    // them again (translatePage) without building the board anew.
    const text = h('input', { type: 'search', id: 'board-search', 'data-l10n-id': 'board-search-field', placeholder: tAttr('board-search-field', 'placeholder') });
    text.addEventListener('input', () => this.setFilter({ text: text.value }));
    this.teamSelect = h('select', { id: 'board-team' });
    this.teamSelect.addEventListener('change', () => this.setFilter({ team: this.teamSelect.value }));
    this.statusSelect = h('select', { id: 'board-status' });
    this.statusSelect.addEventListener('change', () => this.setFilter({ status: this.statusSelect.value }));
    const mine = h('input', { type: 'checkbox', id: 'board-mine' });
    mine.addEventListener('change', () => this.setFilter({ onlyMyTeams: mine.checked }));
    this.counts = h('ul', { class: 'counts', 'data-l10n-id': 'board-counts', 'aria-label': tAttr('board-counts', 'aria-label') });
    this.body = h('tbody');
    this.empty = h('p', { class: 'empty', hidden: true, 'data-l10n-id': 'board-empty' }, t('board-empty'));
    root.append(
      h(
        'div',
        { class: 'filters' },
        h('label', { for: 'board-search', 'data-l10n-id': 'board-search' }, t('board-search')),
        text,
        h('label', { for: 'board-team', 'data-l10n-id': 'board-team' }, t('board-team')),
        this.teamSelect,
        h('label', { for: 'board-status', 'data-l10n-id': 'board-status' }, t('board-status')),
        this.statusSelect,
        h('label', { class: 'switch' }, mine, ' ', h('span', { 'data-l10n-id': 'board-only-mine' }, t('board-only-mine'))),
      ),
      this.counts,
      h(
        'table',
        { class: 'board', 'data-l10n-id': 'board-table', 'aria-label': tAttr('board-table', 'aria-label') },
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            ...['board-col-agent', 'board-col-status', 'board-col-available-on', 'board-col-teams', 'board-col-in-status'].map((id) =>
              h('th', { scope: 'col', 'data-l10n-id': id }, t(id)),
            ),
          ),
        ),
        this.body,
      ),
      this.empty,
    );
  }

  /**
   * The whole board, from a snapshot. Snapshots come on every view change,
   * mostly with the board as it was: then nothing is touched.
   */
  load(received: AgentRow[], me: string[], staleAfterHours = 0): void {
    this.staleMs = staleAfterHours * 3_600_000;
    this.raw = new Map(received.map((r) => [r.id, r]));
    const rows = received.map((r) => asShown(r, this.now(), this.staleMs));
    const sigs = new Map(rows.map((r) => [r.id, JSON.stringify(r)]));
    const same =
      sigs.size === this.sigs.size &&
      me.join('\n') === this.me.join('\n') &&
      [...sigs].every(([id, sig]) => this.sigs.get(id) === sig);
    if (same) return;
    this.sigs = sigs;
    this.rows = new Map(rows.map((r) => [r.id, r]));
    this.me = me;
    this.renderAll();
  }

  /**
   * One agent changed: its row is updated in place when it stays visible.
   * Returns what to announce: a colleague of my teams changing status.
   */
  update(agentId: string, received: AgentRow | null): string | null {
    const before = this.rows.get(agentId);
    if (received === null) this.raw.delete(agentId);
    else this.raw.set(agentId, received);
    const row = received && asShown(received, this.now(), this.staleMs);
    if (row === null) {
      this.rows.delete(agentId);
      this.sigs.delete(agentId);
    } else {
      this.rows.set(agentId, row);
      this.sigs.set(agentId, JSON.stringify(row));
    }
    const el = this.rendered.get(agentId);
    const mine = myTeams(this.rows.values(), this.me);
    const teamsChanged = JSON.stringify(before?.teams) !== JSON.stringify(row?.teams);
    if (el && row && matches(row, this.filter, mine) && !teamsChanged) {
      this.fillRow(el, row);
      this.renderCounts(mine);
      this.renderStatusOptions();
    } else {
      this.renderAll();
    }
    return teamStatusNews(before, row, this.me, mine);
  }

  /** The language changed: every row and option is said again. */
  relocalize(): void {
    this.drawn.clear();
    this.renderAll();
  }

  /** Refreshes "time in status", and the rows that went stale meanwhile. */
  tick(): void {
    let staled = false;
    for (const [id, received] of this.raw) {
      const shown = asShown(received, this.now(), this.staleMs);
      if (shown.status.kind !== this.rows.get(id)?.status.kind) {
        this.rows.set(id, shown);
        this.sigs.set(id, JSON.stringify(shown));
        staled = true;
      }
    }
    if (staled) this.renderAll();
    for (const [id, el] of this.rendered) {
      const row = this.rows.get(id);
      const cell = el.cells[4];
      if (row && cell) cell.textContent = timeInStatus(row.since, this.now());
    }
  }

  private setFilter(change: Partial<BoardFilter>): void {
    this.filter = { ...this.filter, ...change };
    this.renderAll();
  }

  private renderAll(): void {
    const mine = myTeams(this.rows.values(), this.me);
    this.renderTeamOptions();
    this.renderStatusOptions();
    this.renderCounts(mine);
    const visible = sortRows([...this.rows.values()]).filter((r) => matches(r, this.filter, mine));
    // Rows are kept by agent: an unchanged row keeps its element and cells.
    const wanted = visible.map((row) => {
      let tr = this.rendered.get(row.id);
      if (!tr) {
        tr = h('tr', { 'data-agent': row.id });
        this.rendered.set(row.id, tr);
      }
      this.fillRow(tr, row);
      return tr;
    });
    const shown = new Set(visible.map((r) => r.id));
    for (const id of [...this.rendered.keys()]) {
      if (!shown.has(id)) {
        this.rendered.delete(id);
        this.drawn.delete(id);
      }
    }
    const children = this.body.children;
    const inOrder = children.length === wanted.length && wanted.every((tr, i) => children[i] === tr);
    if (!inOrder) this.body.replaceChildren(...wanted);
    this.empty.hidden = visible.length > 0 || this.rows.size === 0;
  }

  private fillRow(tr: HTMLTableRowElement, row: AgentRow): void {
    const data = this.sigs.get(row.id) ?? JSON.stringify(row);
    if (this.drawn.get(row.id) === data && tr.cells.length > 0) return;
    this.drawn.set(row.id, data);
    tr.replaceChildren(
      h('td', {}, row.name ?? row.email ?? row.id),
      h('td', { class: `status status-${statusKey(row.status).split(':')[0]}` }, statusText(row.status)),
      h('td', {}, availableOnLabel(row)),
      h('td', {}, teamNames(row).join(', ') || '—'),
      h('td', {}, timeInStatus(row.since, this.now())),
    );
  }

  private renderCounts(mine: Set<string>): void {
    const counts = countByStatus(this.rows.values(), this.filter, mine);
    clear(this.counts);
    for (const [key, { label, count }] of [...counts].sort((a, b) => a[1].label.localeCompare(b[1].label))) {
      this.counts.append(h('li', { 'data-status': key }, t('board-count', { status: label, count: formatCount(count) })));
    }
  }

  private renderTeamOptions(): void {
    const teams = new Map<string, string>();
    for (const row of this.rows.values()) for (const team of row.teams) teams.set(team.id, team.name ?? t('board-team-unnamed', { id: team.id }));
    this.fillSelect(this.teamSelect, t('board-all-teams'), [...teams], this.filter.team);
  }

  private renderStatusOptions(): void {
    const statuses = new Map<string, string>();
    for (const row of this.rows.values()) statuses.set(statusKey(row.status), statusLabel(row.status));
    this.fillSelect(this.statusSelect, t('board-all-statuses'), [...statuses], this.filter.status);
  }

  private fillSelect(select: HTMLSelectElement, all: string, options: [string, string][], current: string): void {
    const wanted = [['', all], ...options.sort((a, b) => a[1].localeCompare(b[1]))];
    if (select.options.length === wanted.length && wanted.every(([v, l], i) => select.options[i]?.value === v && select.options[i]?.text === l)) {
      return;
    }
    select.replaceChildren(...wanted.map(([value, label]) => h('option', { value }, label)));
    select.value = wanted.some(([v]) => v === current) ? current : '';
  }
}
