import { describe, expect, it } from 'vitest';

import { countByStatus, matches, myTeams, NO_FILTER, statusKey, statusLabel, teamStatusNews, timeInStatus } from '../src/board';
import { row, ROWS } from './rows';

const none = new Set<string>();

describe('board logic', () => {
  it('keys and labels open-set statuses without losing custom names', () => {
    expect(statusKey({ kind: 'custom', value: 'Away' })).toBe('custom:Away');
    expect(statusLabel({ kind: 'custom', value: 'Away' })).toBe('Away');
    expect(statusLabel({ kind: 'unknown', value: 7 })).toBe('Status 7');
    expect(statusLabel({ kind: 'busy' })).toBe('Busy / on a call');
  });

  it('filters by team, status and text, and counts what the other filters let through', () => {
    const billing = { ...NO_FILTER, team: '20' };
    expect(ROWS.filter((r) => matches(r, billing, none)).map((r) => r.id)).toEqual(['2', '3']);
    const text = { ...NO_FILTER, text: 'tier 2' };
    expect(ROWS.filter((r) => matches(r, text, none)).map((r) => r.id)).toEqual(['4', '5']);
    const busy = { ...NO_FILTER, status: 'busy' };
    expect(ROWS.filter((r) => matches(r, busy, none)).map((r) => r.id)).toEqual(['2']);
    // Counts ignore the status filter itself, so each count says what choosing it would show.
    const counts = countByStatus(ROWS, { ...busy, team: '20' }, none);
    expect(Object.fromEntries([...counts].map(([k, v]) => [k, v.count]))).toEqual({ busy: 1, after_call_work: 1 });
  });

  it('only my teams: the teams of the rows that are me, by id or email', () => {
    const mine = myTeams(ROWS, ['tomagent@acme.example']);
    expect([...mine]).toEqual(['10']);
    const f = { ...NO_FILTER, onlyMyTeams: true };
    expect(ROWS.filter((r) => matches(r, f, mine)).map((r) => r.id)).toEqual(['1', '2']);
    expect(ROWS.filter((r) => matches(r, f, myTeams(ROWS, ['3']))).map((r) => r.id)).toEqual(['2', '3']);
  });

  it('time in status', () => {
    const now = new Date('2026-11-20T12:05:00Z');
    expect(timeInStatus('2026-11-20T12:04:30Z', now)).toBe('just now');
    expect(timeInStatus('2026-11-20T12:00:00Z', now)).toBe('5 min');
    expect(timeInStatus('2026-11-20T10:00:00Z', now)).toBe('2 h 5 min');
    expect(timeInStatus('2026-11-17T12:05:00Z', now)).toBe('3 d');
    expect(timeInStatus(null, now)).toBe('—');
    expect(timeInStatus('not a date', now)).toBe('—');
  });

  it('says a status change of a colleague in my teams, and nothing else', () => {
    const me = ['tomagent@acme.example'];
    const mine = myTeams(ROWS, me);
    const ann = ROWS[1]!;
    const annOnline = { ...ann, status: { kind: 'online' } as const };
    expect(teamStatusNews(ann, annOnline, me, mine)).toBe('Ann Busy is now Online');
    // Same status again, another team, my own change, a new or removed row: nothing.
    expect(teamStatusNews(ann, ann, me, mine)).toBeNull();
    const lea = ROWS[3]!;
    expect(teamStatusNews(lea, { ...lea, status: { kind: 'online' } }, me, mine)).toBeNull();
    const tom = ROWS[0]!;
    expect(teamStatusNews(tom, { ...tom, status: { kind: 'busy' } }, me, mine)).toBeNull();
    expect(teamStatusNews(undefined, annOnline, me, mine)).toBeNull();
    expect(teamStatusNews(ann, null, me, mine)).toBeNull();
    const nameless = row('9', 'x', { kind: 'busy' }, [['10', 'Tier 1']], { name: null });
    expect(teamStatusNews(nameless, { ...nameless, status: { kind: 'online' } }, me, mine)).toBe('x@acme.example is now Online');
  });
});
