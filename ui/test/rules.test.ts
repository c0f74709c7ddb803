/// <reference types="vite/client" />
import { describe, expect, it } from 'vitest';

import { checkRules, splitList, type RulesEdit } from '../src/rules';

interface Case {
  expect: { code: string; field: string } | null;
  edit: RulesEdit;
}

// The cases the core is held to as well (crates/core/tests/rules_edit.rs).
const files = import.meta.glob<Case>('../../tests/fixtures/rules-edit/*.json', { eager: true, import: 'default' });
const cases = Object.entries(files).map(([path, c]) => ({ name: path.split('/').pop() ?? path, ...c }));

describe('checkRules', () => {
  it('finds the shared cases', () => {
    expect(cases.length).toBeGreaterThanOrEqual(11);
  });

  for (const c of cases) {
    it(`${c.name}: ${c.expect ? `refused at ${c.expect.field}` : 'accepted'}`, () => {
      const problems = checkRules(c.edit);
      if (c.expect === null) {
        expect(problems).toEqual([]);
      } else {
        expect(problems.map(({ field, code }) => ({ field, code }))).toEqual([c.expect]);
      }
    });
  }

  it('names the day and the range typed', () => {
    const edit: RulesEdit = {
      new_ticket: { statuses: [2, 3], min_priority: null, groups: [], types: [], sources: [], tags: [], only_mine: false },
      quiet_hours: { wed: ['12:00-13:00', '9:75-10:00'] },
      hold_while_on_call: true,
      me: { agent_ids: [], emails: [], group_ids: [] },
    };
    expect(checkRules(edit)[0]?.message).toBe('quiet hours on Wednesday: expected HH:MM-HH:MM, got "9:75-10:00"');
  });
});

describe('splitList', () => {
  it('trims and drops empty entries', () => {
    expect(splitList(' vip, billing,, ')).toEqual(['vip', 'billing']);
    expect(splitList('')).toEqual([]);
  });
});
