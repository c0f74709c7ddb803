import type { AgentRow } from '../src/types';

export function row(id: string, name: string, status: AgentRow['status'], teams: [string, string][], extra: Partial<AgentRow> = {}): AgentRow {
  return {
    id,
    name,
    email: `${name.toLowerCase().replace(/[^a-z]/g, '')}@acme.example`,
    status,
    available_on: 'browser',
    teams: teams.map(([id, name]) => ({ id, name })),
    since: '2026-11-20T10:00:00Z',
    ...extra,
  };
}

export const ROWS: AgentRow[] = [
  row('1', 'Tom Agent', { kind: 'online' }, [['10', 'Tier 1']]),
  row('2', 'Ann Busy', { kind: 'busy' }, [['10', 'Tier 1'], ['20', 'Billing']]),
  row('3', 'Raj Wrapup', { kind: 'after_call_work' }, [['20', 'Billing']]),
  row('4', 'Lea Away', { kind: 'custom', value: 'Away' }, [['30', 'Tier 2']]),
  row('5', 'Max Off', { kind: 'offline' }, [['30', 'Tier 2']], { available_on: null }),
];
