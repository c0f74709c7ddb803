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
});
