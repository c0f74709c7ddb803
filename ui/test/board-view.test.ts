import { beforeEach, describe, expect, it } from 'vitest';

import { BoardView } from '../src/views/board';
import { row, ROWS } from './rows';

const now = () => new Date('2026-11-20T10:30:00Z');

function rowsShown(root: HTMLElement): string[] {
  return [...root.querySelectorAll('tbody tr')].map((tr) => tr.getAttribute('data-agent') ?? '');
}

function counts(root: HTMLElement): string[] {
  return [...root.querySelectorAll('.counts li')].map((li) => li.textContent ?? '');
}

describe('BoardView', () => {
  let root: HTMLElement;
  let view: BoardView;
  beforeEach(() => {
    document.body.replaceChildren();
    root = document.createElement('section');
    document.body.append(root);
    view = new BoardView(root, now);
    view.load(ROWS, ['tomagent@acme.example']);
  });

  it('shows every agent with counts, sorted by name', () => {
    expect(rowsShown(root)).toEqual(['2', '4', '5', '3', '1']);
    expect(counts(root)).toContain('Busy / on a call: 1');
    expect(root.querySelector('tr[data-agent="1"] td:last-child')?.textContent).toBe('30 min');
  });

  it('filters from the controls', () => {
    const team = root.querySelector<HTMLSelectElement>('#board-team')!;
    team.value = '20';
    team.dispatchEvent(new Event('change'));
    expect(rowsShown(root)).toEqual(['2', '3']);
    const mine = root.querySelector<HTMLInputElement>('#board-mine')!;
    team.value = '';
    team.dispatchEvent(new Event('change'));
    mine.checked = true;
    mine.dispatchEvent(new Event('change'));
    expect(rowsShown(root)).toEqual(['2', '1']);
  });

  it('a status change updates its row in place, and the counts', () => {
    const before = root.querySelector('tr[data-agent="1"]');
    view.update('1', row('1', 'Tom Agent', { kind: 'busy' }, [['10', 'Tier 1']], { since: '2026-11-20T10:29:00Z' }));
    const after = root.querySelector('tr[data-agent="1"]');
    expect(after).toBe(before);
    expect(after?.querySelector('.status')?.textContent).toBe('Busy / on a call');
    expect(counts(root)).toContain('Busy / on a call: 2');
    expect(counts(root).some((c) => c.startsWith('Online'))).toBe(false);
  });

  it('renders names as text, never as markup', () => {
    view.update('9', row('9', '<img src=x onerror=alert(1)>', { kind: 'online' }, []));
    const cell = root.querySelector('tr[data-agent="9"] td');
    expect(cell?.textContent).toBe('<img src=x onerror=alert(1)>');
    expect(root.querySelector('img')).toBeNull();
  });

  it('a snapshot refresh redraws only the rows that changed', () => {
    const cells = [...root.querySelectorAll('tbody td')];
    view.load(ROWS.map((r) => ({ ...r })), ['tomagent@acme.example']);
    expect([...root.querySelectorAll('tbody td')]).toEqual(cells);
    const changed = ROWS.map((r) => (r.id === '3' ? { ...r, status: { kind: 'online' as const } } : r));
    view.load(changed, ['tomagent@acme.example']);
    const after = [...root.querySelectorAll('tbody td')];
    const rowOf = (td: Element) => td.parentElement?.getAttribute('data-agent');
    expect(after.filter((td) => !cells.includes(td)).map(rowOf)).toEqual(['3', '3', '3', '3', '3']);
    expect(root.querySelector('tr[data-agent="3"] .status')?.textContent).toBe('Online');
  });
});

describe('BoardView with 500 agents', () => {
  const TEAMS: [string, string][] = [['10', 'Tier 1'], ['20', 'Billing'], ['30', 'Tier 2'], ['40', 'Nights']];
  const KINDS = ['online', 'busy', 'after_call_work', 'offline'] as const;
  const many = Array.from({ length: 500 }, (_, i) =>
    row(String(i + 1), `Agent ${String(i + 1).padStart(3, '0')}`, { kind: KINDS[i % 4]! }, [TEAMS[i % 4]!]),
  );

  it('counts, filters and takes a burst of changes, each row in place', () => {
    document.body.replaceChildren();
    const root = document.createElement('section');
    document.body.append(root);
    const view = new BoardView(root, now);
    view.load(many, ['1']);
    expect(rowsShown(root)).toHaveLength(500);
    expect(counts(root)).toContain('Busy / on a call: 125');
    const elements = new Map([...root.querySelectorAll('tbody tr')].map((tr) => [tr.getAttribute('data-agent'), tr]));
    // Every agent changes status once: rows stay the same elements, in order.
    for (const r of many) view.update(r.id, { ...r, status: { kind: 'busy' } });
    expect(counts(root)).toEqual(['Busy / on a call: 500']);
    expect([...root.querySelectorAll('tbody tr')].every((tr) => elements.get(tr.getAttribute('data-agent')) === tr)).toBe(true);
    const mine = root.querySelector<HTMLInputElement>('#board-mine')!;
    mine.checked = true;
    mine.dispatchEvent(new Event('change'));
    expect(rowsShown(root)).toHaveLength(125);
  });
});

describe('BoardView with stale states', () => {
  it('a state not heard of for longer than the limit reads "unknown since", also once time passes', () => {
    document.body.replaceChildren();
    const root = document.createElement('section');
    document.body.append(root);
    let clock = new Date('2026-11-20T22:30:00Z');
    const view = new BoardView(root, () => clock);
    view.load(
      [
        row('1', 'Tom Agent', { kind: 'online' }, [['10', 'Tier 1']], { heard_at: '2026-11-20T10:00:00Z' }),
        row('2', 'Ann Busy', { kind: 'busy' }, [['10', 'Tier 1']], { heard_at: '2026-11-20T21:00:00Z' }),
      ],
      [],
      12,
    );
    const status = (id: string) => root.querySelector(`tr[data-agent="${id}"] .status`)?.textContent ?? '';
    // 12 h 30 min since Tom was last heard of: not a stale "online".
    expect(status('1')).toMatch(/^Unknown since /);
    expect(status('2')).toBe('Busy / on a call');
    expect(counts(root)).toContain('Unknown: 1');
    expect(counts(root).some((c) => c.startsWith('Online'))).toBe(false);
    // Ann, 12 h later, on the next tick.
    clock = new Date('2026-11-21T09:30:00Z');
    view.tick();
    expect(status('2')).toMatch(/^Unknown since /);
    // News of Tom makes his row current again.
    view.update('1', row('1', 'Tom Agent', { kind: 'online' }, [['10', 'Tier 1']], { heard_at: '2026-11-21T09:29:00Z' }));
    expect(status('1')).toBe('Online');
    // 0 hours: never stale.
    view.load([row('1', 'Tom Agent', { kind: 'online' }, [], { heard_at: '2020-01-01T00:00:00Z' })], [], 0);
    expect(status('1')).toBe('Online');
  });
});
