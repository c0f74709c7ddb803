// The contact-center model (bench/contact_center.js), at 200 agents with its
// fixed seed: the budget loses fewer missed calls than pushing everything,
// and with the relay's poller none is lost. The same model fills the admin
// guide's sizing table (scripts/bench).

'use strict';

const assert = require('node:assert/strict');
const { test } = require('node:test');
const { run } = require('../../bench/contact_center');

test('at 200 agents the budget keeps the missed calls that pushing everything loses, and polling loses none', async () => {
  const row = await run(200, 20261201);
  assert.ok(row.before.minutes_over_budget > 50, JSON.stringify(row.before));
  assert.ok(row.before.missed_calls_lost > row.before.missed_calls / 2, JSON.stringify(row.before));
  assert.ok(row.budget.requests_per_minute_mean <= 50, JSON.stringify(row.budget));
  assert.ok(row.budget.missed_calls_lost < row.before.missed_calls_lost / 10, JSON.stringify(row.budget));
  assert.equal(row.budget_and_polling.missed_calls_lost, 0);
  assert.ok(row.budget_and_polling.popup_delay_p99_s <= 11, JSON.stringify(row.budget_and_polling));
});
