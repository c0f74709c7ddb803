// The built UI (ui/dist) in Debian's Chromium through playwright-core, with
// the app's IPC mocked (mock-ipc.js): board filters and counts, a live
// status change, subscriptions, adding an account after a refusal. Saves a
// screenshot of each screen to ui/test-results/.
// Run: npm run test:pages (after npm run build).

import assert from 'node:assert/strict';
import { readFileSync, mkdirSync } from 'node:fs';
import { createServer } from 'node:http';
import { dirname, extname, join, normalize } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
const dist = join(here, '..', 'dist');
const results = join(here, '..', 'test-results');
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const TYPES = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css' };

let server;
let base;
let browser;

before(async () => {
  mkdirSync(results, { recursive: true });
  server = createServer((req, res) => {
    const path = normalize(decodeURIComponent(new URL(req.url, 'http://x').pathname)).replace(/^\/+/, '');
    const file = path === '' ? 'index.html' : path;
    try {
      const body = readFileSync(join(dist, file));
      res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' });
      res.end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${server.address().port}/`;
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
});

after(async () => {
  await browser?.close();
  server?.close();
});

const row = (id, name, kind, teams, extra = {}) => ({
  id,
  name,
  email: `${name.split(' ')[0].toLowerCase()}@acme.example`,
  status: { kind },
  available_on: 'browser',
  teams: teams.map(([id, name]) => ({ id, name })),
  since: new Date(Date.now() - 5 * 60000).toISOString(),
  ...extra,
});

function snapshot() {
  return {
    demo: false,
    accounts: [
      {
        name: 'acme',
        settings: { kind: 'relay', name: 'acme', url: 'https://relay.acme.example/', fallback_urls: ['https://relay-b.acme.example/'] },
        connection: { state: 'live', since: new Date().toISOString() },
        problem: null,
        last_event_at: new Date().toISOString(),
      },
    ],
    board: [
      row('1', 'Tom Agent', 'online', [['10', 'Tier 1']]),
      row('2', 'Ann Busy', 'busy', [['10', 'Tier 1'], ['20', 'Billing']]),
      row('3', 'Raj Wrapup', 'after_call_work', [['20', 'Billing']]),
      row('4', 'Lea <b>Away</b>', 'offline', [['30', 'Tier 2']]),
    ],
    me: ['tom@acme.example'],
    feed: [
      {
        id: 2,
        kind: 'new_ticket',
        title: 'New ticket #42: <script>alert(1)</script>',
        body: 'High priority · from Rachel',
        url: 'https://acme.freshdesk.com/a/tickets/42',
        shown_at: new Date().toISOString(),
        held: null,
        actions: [{ action: 'assign_to_me', ticket: '42' }, { action: 'remind_later' }],
      },
      {
        id: 1,
        kind: 'missed_call',
        title: 'Missed call from Rachel Green',
        body: '+14155550123',
        url: null,
        shown_at: new Date().toISOString(),
        held: 'on_call',
      },
    ],
    away: { reason: 'on_call', counts: { missed_call: 1 }, released_at: new Date().toISOString() },
    subscriptions: {
      missed_call: true,
      new_ticket: true,
      conversation_reassigned: true,
      ticket_reassigned: true,
      agent_status: false,
    },
    rules: {
      new_ticket: { statuses: [2, 3], min_priority: null, groups: [], types: [], sources: [], tags: [], only_mine: false },
      quiet_hours: {},
      hold_while_on_call: true,
      me: { agent_ids: [], emails: [], group_ids: [] },
    },
    dnd_until: null,
    config_problem: null,
  };
}

/** The page on the mocked app; `width` and `forcedColors` as a browser would set them. */
async function open(colorScheme = 'light', { width = 960, forcedColors = 'none', snapshot: s = snapshot() } = {}) {
  const page = await browser.newPage({ viewport: { width, height: 640 }, colorScheme, forcedColors });
  const errors = [];
  page.on('pageerror', (e) => errors.push(e));
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  await page.addInitScript({ path: join(here, 'mock-ipc.js') });
  await page.addInitScript((s) => {
    window.__mock.snapshot = s;
  }, s);
  await page.goto(base);
  await page.waitForSelector('tbody tr');
  return { page, errors };
}

const calls = (page, cmd) => page.evaluate((c) => window.__mock.calls.filter((x) => x.cmd === c), cmd);

test('the board filters, counts, and takes a live status change in place', async () => {
  const { page, errors } = await open();
  assert.equal(await page.locator('tbody tr').count(), 4);
  assert.match(await page.locator('.counts').innerText(), /Busy \/ on a call: 1/);
  // Names are text: the markup in one is shown, not run.
  assert.equal(await page.locator('tr[data-agent="4"] td').first().innerText(), 'Lea <b>Away</b>');
  assert.equal(await page.locator('tr[data-agent="4"] b').count(), 0);
  await page.screenshot({ path: join(results, 'board.png') });

  await page.selectOption('#board-team', '20');
  assert.deepEqual(await page.locator('tbody tr').evaluateAll((rs) => rs.map((r) => r.dataset.agent)), ['2', '3']);
  await page.selectOption('#board-team', '');
  await page.fill('#board-search', 'tier 2');
  assert.deepEqual(await page.locator('tbody tr').evaluateAll((rs) => rs.map((r) => r.dataset.agent)), ['4']);
  await page.fill('#board-search', '');
  await page.check('#board-mine');
  assert.deepEqual(await page.locator('tbody tr').evaluateAll((rs) => rs.map((r) => r.dataset.agent)), ['2', '1']);
  await page.uncheck('#board-mine');

  // A status change arrives as an event: the same row element, new status.
  await page.evaluate(() => {
    window.__rowBefore = document.querySelector('tr[data-agent="1"]');
  });
  await page.evaluate((r) => window.__mock.emit('board-row', { agent_id: '1', row: r }), row('1', 'Tom Agent', 'busy', [['10', 'Tier 1']]));
  assert.equal(await page.locator('tr[data-agent="1"] .status').innerText(), 'Busy / on a call');
  assert.equal(await page.evaluate(() => window.__rowBefore === document.querySelector('tr[data-agent="1"]')), true);
  assert.match(await page.locator('.counts').innerText(), /Busy \/ on a call: 2/);
  assert.deepEqual(errors, []);
  await page.close();
});

test('the feed shows the away summary and opens an item through the app', async () => {
  const { page, errors } = await open();
  await page.click('#tab-feed');
  assert.match(await page.locator('.away').innerText(), /While you were on a call[\s\S]*\b1 missed call\n/);
  assert.equal(await page.locator('.feed li .title').first().innerText(), 'New ticket #42: <script>alert(1)</script>');
  await page.screenshot({ path: join(results, 'feed.png') });
  // Each Open is named for its item; a held item says why in words.
  await page.getByRole('button', { name: 'Open New ticket #42: <script>alert(1)</script>' }).click();
  assert.deepEqual(await calls(page, 'open_feed_item'), [{ cmd: 'open_feed_item', args: { id: 2 } }]);
  assert.equal(await page.locator('li[data-feed="1"] .held-note').innerText(), 'held while you were on a call');
  assert.equal(await page.getByRole('list', { name: 'Recent notifications' }).count(), 1);
  assert.equal(await page.locator('li[data-feed="1"] button.open').count(), 0, 'no link, no Open');
  // A row's buttons act as the popup's: through the tray, named for their item.
  await page.getByRole('button', { name: 'Assign to me: New ticket #42: <script>alert(1)</script>' }).click();
  await page.getByRole('button', { name: 'Remind me in 15 min: New ticket #42: <script>alert(1)</script>' }).click();
  assert.deepEqual(await calls(page, 'act_on_feed_item'), [
    { cmd: 'act_on_feed_item', args: { id: 2, action: 'assign' } },
    { cmd: 'act_on_feed_item', args: { id: 2, action: 'remind' } },
  ]);
  assert.equal(await page.locator('li[data-feed="1"] button.act').count(), 0, 'no actions, no buttons');
  await page.click('.away button');
  assert.deepEqual(await calls(page, 'dismiss_away'), [{ cmd: 'dismiss_away', args: {} }]);
  assert.deepEqual(errors, []);
  await page.close();
});

test('subscriptions switch through the app, by keyboard too', async () => {
  const { page, errors } = await open('dark');
  await page.focus('#tab-board');
  await page.keyboard.press('ArrowRight');
  await page.keyboard.press('ArrowRight');
  assert.equal(await page.locator('#rules').isVisible(), true);
  await page.screenshot({ path: join(results, 'rules-dark.png'), fullPage: true });
  await page.uncheck('#sub-new_ticket');
  assert.deepEqual(await calls(page, 'set_subscription'), [
    { cmd: 'set_subscription', args: { kind: 'new_ticket', on: false } },
  ]);
  await page.click('button[data-dnd="one_hour"]');
  assert.deepEqual(await calls(page, 'set_dnd'), [{ cmd: 'set_dnd', args: { choice: 'one_hour' } }]);
  assert.deepEqual(errors, []);
  await page.close();
});

test('editing and saving a rule: a validation error first, then the save', async () => {
  const { page, errors } = await open();
  await page.click('#tab-rules');
  assert.equal(await page.isChecked('#rule-status-2'), true);
  assert.equal(await page.isChecked('#rule-status-4'), false);
  await page.uncheck('#rule-status-3');
  await page.selectOption('#rule-min-priority', '3');
  await page.fill('#rule-groups', '43000012345');
  await page.check('#rule-source-1');
  await page.check('#rule-source-7');
  await page.fill('#rule-tags', 'vip');
  await page.fill('#quiet-mon', '25:00-08:00');
  // Refused as typed: named at its field, and Save is off.
  const monError = page.locator('[data-error-for="quiet_hours.mon"]');
  assert.equal(await monError.innerText(), 'quiet hours on Monday: expected HH:MM-HH:MM, got "25:00-08:00"');
  assert.equal(await page.getAttribute('#quiet-mon', 'aria-invalid'), 'true');
  // Described by its error; Save says it is off but keeps its place in the tab order.
  assert.match(await page.getAttribute('#quiet-mon', 'aria-describedby'), /quiet_hours-mon-error/);
  assert.equal(await page.getAttribute('#rules-save', 'aria-disabled'), 'true');
  assert.equal(await page.evaluate(() => document.querySelector('#rules-save').disabled), false);
  // Pressing it anyway (by keyboard: it keeps its place) takes focus to the field that is wrong.
  await page.focus('#rules-save');
  await page.keyboard.press('Enter');
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'quiet-mon');
  assert.equal((await calls(page, 'save_rules')).length, 0);
  await page.screenshot({ path: join(results, 'rules-error.png'), fullPage: true });

  // What only the app can know (a group id it refuses, say) comes back at its field.
  for (const day of ['mon', 'tue', 'wed', 'thu', 'fri']) await page.fill(`#quiet-${day}`, '18:00-08:00');
  await page.fill('#quiet-sat', '00:00-00:00');
  await page.fill('#me-agent-ids', '320');
  await page.fill('#me-emails', 'tom@');
  assert.equal(await page.locator('[data-error-for="me.emails"]').innerText(), '"tom@" is not an email address');
  await page.fill('#me-emails', 'tom@acme.example');
  assert.equal(await monError.innerText(), '');
  assert.equal(await page.getAttribute('#rules-save', 'aria-disabled'), 'false');
  await page.evaluate(() => {
    window.__mock.failNext.save_rules = { code: 'rules_group', field: 'new_ticket.groups', message: 'group ids are numbers' };
  });
  await page.click('#rules-save');
  await page.waitForFunction(() => document.querySelector('[data-error-for="new_ticket.groups"]')?.textContent !== '');
  assert.equal(await page.getAttribute('#rule-groups', 'aria-invalid'), 'true');
  // The refusal takes focus to the field it names.
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'rule-groups');

  // A refresh meanwhile keeps the unsaved edit.
  await page.evaluate(() => window.__mock.emit('view-changed', null));
  await page.waitForFunction(() => window.__mock.calls.filter((c) => c.cmd === 'get_snapshot').length === 2);
  await page.waitForTimeout(100);
  assert.equal(await page.inputValue('#quiet-sat'), '00:00-00:00');
  // Save stays off until the refused field is edited.
  assert.equal(await page.getAttribute('#rules-save', 'aria-disabled'), 'true');
  await page.fill('#rule-groups', ' 43000012345, ');
  await page.click('#rules-save');
  await page.waitForFunction(() => document.querySelector('#rules-outcome')?.textContent === 'Saved.');
  const saves = await calls(page, 'save_rules');
  assert.equal(saves.length, 2);
  // Exactly the edit the core's own test applies.
  const expected = JSON.parse(readFileSync(join(here, '../../tests/fixtures/rules-edit/valid-evenings-and-saturday.json'), 'utf8'));
  assert.deepEqual(saves[1].args.rules, expected.edit);
  assert.equal(await page.locator('[data-error-for="new_ticket.groups"]').innerText(), '');
  await page.screenshot({ path: join(results, 'rules.png'), fullPage: true });
  assert.deepEqual(errors, []);
  await page.close();
});

test('adding an account: a refusal is shown, the secret never stays in the page', async () => {
  const { page, errors } = await open();
  await page.click('#tab-accounts');
  assert.match(await page.locator('li[data-account="acme"]').innerText(), /Connected/);
  await page.click('button[aria-label="Remove acme"]');
  assert.deepEqual(await calls(page, 'remove_account'), [{ cmd: 'remove_account', args: { name: 'acme' } }]);
  await page.evaluate(() => {
    window.__mock.failNext.add_account = {
      code: 'account_url',
      message: 'relay URL http://relay.example.com/: use https (plain http only to this machine)',
    };
  });
  await page.fill('#account-name', 'second');
  // A refresh (the app's view changed) while typing keeps what was typed.
  await page.evaluate(() => window.__mock.emit('view-changed', null));
  await page.waitForFunction(() => window.__mock.calls.filter((c) => c.cmd === 'get_snapshot').length === 2);
  await page.waitForTimeout(100);
  assert.equal(await page.inputValue('#account-name'), 'second');
  await page.fill('#account-url', 'http://relay.example.com/');
  await page.fill('#account-secret', 'dbr_typed_secret');
  await page.click('form.account-form button[type=submit]');
  await page.waitForFunction(() => document.querySelector('.account-form .error')?.textContent !== '');
  assert.match(await page.locator('.account-form .error').innerText(), /use https/);
  assert.equal(await page.inputValue('#account-secret'), '', 'the secret field is cleared');
  await page.screenshot({ path: join(results, 'accounts.png') });

  await page.fill('#account-url', 'https://relay.example.com/');
  await page.fill('#account-secret', 'dbr_typed_secret');
  await page.fill('#account-domains', 'support.acme.example');
  await page.fill('#account-fallbacks', 'https://relay2.example.com/ https://relay3.example.com/');
  await page.click('form.account-form button[type=submit]');
  await page.waitForFunction(() => window.__mock.calls.filter((c) => c.cmd === 'add_account').length === 2);
  const [, added] = await calls(page, 'add_account');
  assert.deepEqual(added.args, {
    account: {
      kind: 'relay',
      name: 'second',
      url: 'https://relay.example.com/',
      fallback_urls: ['https://relay2.example.com/', 'https://relay3.example.com/'],
      domains: ['support.acme.example'],
    },
    secret: 'dbr_typed_secret',
  });
  assert.equal(await page.inputValue('#account-secret'), '');
  assert.equal(await page.locator('.account-form .error').innerText(), '');
  assert.equal(await page.content().then((html) => html.includes('dbr_typed_secret')), false);
  assert.deepEqual(errors, []);
  await page.close();
});

test('editing an account and testing its connection, with the stored secret or a new one', async () => {
  const { page, errors } = await open();
  await page.click('#tab-accounts');
  await page.evaluate(() => {
    window.__mock.failNext.test_connection = { code: 'probe_refused', message: 'the server refused the token (401)' };
  });
  await page.click('button[aria-label="Test acme"]');
  await page.waitForFunction(() => document.querySelector('li[data-account="acme"] .probe')?.textContent?.includes('refused'));
  assert.deepEqual((await calls(page, 'test_connection'))[0].args, {
    account: { kind: 'relay', name: 'acme', url: 'https://relay.acme.example/', fallback_urls: ['https://relay-b.acme.example/'], domains: [] },
    secret: null,
  });
  // The outcome survives the list's redraw on a refresh.
  await page.evaluate(() => window.__mock.emit('view-changed', null));
  await page.waitForFunction(() => window.__mock.calls.filter((c) => c.cmd === 'get_snapshot').length === 2);
  await page.waitForTimeout(100);
  assert.match(await page.locator('li[data-account="acme"] .probe').innerText(), /refused the token/);

  await page.click('button[aria-label="Edit acme"]');
  assert.equal(await page.locator('#account-form-heading').innerText(), 'Edit acme');
  assert.equal(await page.inputValue('#account-name'), 'acme');
  assert.equal(await page.getAttribute('#account-name', 'readonly'), '');
  assert.equal(await page.inputValue('#account-fallbacks'), 'https://relay-b.acme.example/', 'an edit keeps the other relays');
  assert.equal(await page.inputValue('#account-secret'), '', 'the stored secret is never shown');
  await page.fill('#account-url', 'https://relay2.acme.example/');
  await page.click('form.account-form button.test');
  await page.waitForFunction(() => document.querySelector('form.account-form .probe')?.textContent === 'Connection works.');
  assert.deepEqual((await calls(page, 'test_connection'))[1].args, {
    account: { kind: 'relay', name: 'acme', url: 'https://relay2.acme.example/', fallback_urls: ['https://relay-b.acme.example/'], domains: [] },
    secret: null,
  });
  await page.screenshot({ path: join(results, 'accounts-edit.png') });

  await page.fill('#account-secret', 'dbr_new_secret');
  await page.click('form.account-form button[type=submit]');
  await page.waitForFunction(() => document.querySelector('#account-form-heading')?.textContent === 'Add an account');
  assert.deepEqual(await calls(page, 'update_account'), [
    {
      cmd: 'update_account',
      args: {
        account: { kind: 'relay', name: 'acme', url: 'https://relay2.acme.example/', fallback_urls: ['https://relay-b.acme.example/'], domains: [] },
        secret: 'dbr_new_secret',
      },
    },
  ]);
  assert.equal(await page.inputValue('#account-secret'), '');
  assert.equal(await page.content().then((html) => html.includes('dbr_new_secret')), false);

  // Adding: a test needs the secret typed first.
  await page.fill('#account-url', 'https://relay.example.com/');
  await page.click('form.account-form button.test');
  assert.match(await page.locator('form.account-form .probe').innerText(), /Type the agent token first/);
  assert.equal((await calls(page, 'test_connection')).length, 2);
  assert.deepEqual(errors, []);
  await page.close();
});

test("a refused token: the tray's sign-in line opens the account's edit form, once, with the reason", async () => {
  const { page, errors } = await open();
  await page.evaluate(() => {
    const s = window.__mock.snapshot;
    s.accounts[0].connection = { state: 'sign_in_needed', status: 401 };
    s.accounts.push({
      name: 'pbx',
      settings: { kind: 'relay', name: 'pbx', url: 'https://relay.private.example/' },
      connection: { state: 'backing_off', attempt: 2, retry_at: new Date().toISOString(), reason: "the server's certificate is not trusted (UnknownIssuer)" },
      problem: null,
      last_event_at: null,
    });
    // As the app sends it after a click on the tray line.
    s.edit_account = 'acme';
    window.__mock.emit('view-changed', null);
  });
  await page.waitForFunction(() => document.querySelector('#account-form-heading')?.textContent === 'Edit acme');
  assert.equal(await page.getAttribute('#tab-accounts', 'aria-selected'), 'true');
  assert.equal(await page.inputValue('#account-secret'), '');
  assert.match(await page.locator('li[data-account="acme"] .connection').innerText(), /Sign-in needed/);
  assert.match(await page.locator('li[data-account="pbx"] .connection').innerText(), /certificate is not trusted \(UnknownIssuer\)/);
  // The app hands the request to one snapshot; a later one without it
  // leaves what the agent does alone.
  await page.evaluate(() => {
    window.__mock.snapshot.edit_account = null;
  });
  await page.click('form.account-form button.cancel');
  await page.evaluate(() => window.__mock.emit('view-changed', null));
  await page.waitForTimeout(200);
  assert.equal(await page.locator('#account-form-heading').innerText(), 'Add an account');
  assert.deepEqual(errors, []);
  await page.close();
});

test('no tray running: the page says so, starts it on request, and shows the board once it answers', async () => {
  const page = await browser.newPage({ viewport: { width: 960, height: 640 } });
  const errors = [];
  page.on('pageerror', (e) => errors.push(e));
  await page.addInitScript({ path: join(here, 'mock-ipc.js') });
  await page.addInitScript((s) => {
    window.__mock.snapshot = s;
    window.__mock.failNext.get_snapshot = { code: 'tray_not_running', message: 'Deskbell is not running' };
  }, snapshot());
  await page.goto(base);
  await page.waitForSelector('#tray-down:not([hidden])');
  assert.match(await page.locator('#tray-down').innerText(), /Deskbell is not running/);
  assert.equal(await page.locator('tbody tr').count(), 0);
  await page.screenshot({ path: join(results, 'tray-down.png') });
  await page.click('#start-tray');
  await page.waitForSelector('tbody tr');
  assert.equal(await page.locator('#tray-down').isHidden(), true);
  assert.deepEqual(await calls(page, 'start_tray'), [{ cmd: 'start_tray', args: {} }]);
  // The tray goes away while the window is open: told by the next refresh.
  await page.evaluate(() => {
    window.__mock.failNext.get_snapshot = { code: 'tray_gone', message: 'the tray went away' };
    window.__mock.emit('view-changed', null);
  });
  await page.waitForSelector('#tray-down:not([hidden])');
  assert.deepEqual(errors, []);
  await page.close();
});

test('a new notification is announced once in the log region, whatever tab is open', async () => {
  const { page, errors } = await open();
  const said = () => page.locator('#announcements p').allInnerTexts();
  // What was there before the window opened is not news.
  assert.deepEqual(await said(), []);
  await page.click('#tab-rules');
  await page.evaluate(() => {
    window.__mock.snapshot.feed.unshift({
      id: 3,
      kind: 'missed_call',
      title: 'Missed call from Monica',
      body: '+14155550199',
      url: null,
      shown_at: new Date().toISOString(),
      held: null,
    });
    window.__mock.emit('view-changed', null);
  });
  await page.waitForFunction(() => document.querySelectorAll('#announcements p').length === 1);
  assert.deepEqual(await said(), ['Missed call from Monica. +14155550199']);
  // Another refresh with nothing new says nothing more.
  await page.evaluate(() => window.__mock.emit('view-changed', null));
  await page.waitForTimeout(300);
  assert.deepEqual(await said(), ['Missed call from Monica. +14155550199']);
  assert.equal(await page.getByRole('log', { name: 'New notifications and status changes' }).count(), 1);
  // A colleague of my team changes status: said; another team's: not.
  await page.evaluate((r) => window.__mock.emit('board-row', { agent_id: '2', row: r }), row('2', 'Ann Busy', 'online', [['10', 'Tier 1'], ['20', 'Billing']]));
  await page.evaluate((r) => window.__mock.emit('board-row', { agent_id: '4', row: r }), row('4', 'Lea <b>Away</b>', 'online', [['30', 'Tier 2']]));
  await page.waitForFunction(() => document.querySelectorAll('#announcements p').length === 2);
  await page.waitForTimeout(200);
  assert.deepEqual(await said(), ['Missed call from Monica. +14155550199', 'Ann Busy is now Online']);
  assert.deepEqual(errors, []);
  await page.close();
});

test('focus stays on the control it was on when a refresh redraws the page', async () => {
  const { page, errors } = await open();
  const focused = () => page.evaluate(() => {
    const el = document.activeElement;
    return el?.id || el?.getAttribute('data-focus') || el?.tagName;
  });
  const refresh = async () => {
    const before = await page.evaluate(() => window.__mock.calls.filter((c) => c.cmd === 'get_snapshot').length);
    await page.evaluate(() => window.__mock.emit('view-changed', null));
    await page.waitForFunction((n) => window.__mock.calls.filter((c) => c.cmd === 'get_snapshot').length > n, before);
    await page.waitForTimeout(50);
  };
  // Each control a refresh redraws, reached by keyboard focus.
  const controls = [
    ['#tab-rules', '#sub-agent_status', 'sub-agent_status'],
    ['#tab-rules', '[data-dnd="one_hour"]', 'dnd-one_hour'],
    ['#tab-feed', '[data-focus="away-dismiss"]', 'away-dismiss'],
    ['#tab-feed', '[data-focus="open-2"]', 'open-2'],
    ['#tab-accounts', '[data-focus="test:acme"]', 'test:acme'],
    ['#tab-accounts', '[data-focus="remove:acme"]', 'remove:acme'],
  ];
  for (const [tab, selector, key] of controls) {
    await page.click(tab);
    await page.focus(selector);
    const element = await page.evaluate((sel) => {
      window.__before = document.querySelector(sel);
      return true;
    }, selector);
    assert.ok(element);
    await refresh();
    // Redrawn (a new element), and focus is on it again.
    assert.equal(await page.evaluate((sel) => window.__before !== document.querySelector(sel), selector), true, selector);
    assert.equal(await focused(), key, selector);
  }
  assert.deepEqual(errors, []);
  await page.close();
});

test('form help is tied to its fields, and groups are named by their visible label', async () => {
  const { page, errors } = await open();
  await page.click('#tab-rules');
  const describedBy = (sel) => page.getAttribute(sel, 'aria-describedby');
  assert.equal(await describedBy('#rule-groups'), 'new_ticket-groups-hint new_ticket-groups-error');
  assert.match(await page.locator('#new_ticket-groups-hint').innerText(), /comma-separated/);
  assert.equal(await page.getByRole('group', { name: 'Sources (none ticked means any)' }).count(), 1);
  assert.equal(await page.getByRole('group', { name: 'Created as (none ticked means any)' }).count(), 1);
  assert.equal(await describedBy('fieldset.quiet-hours'), 'quiet-hours-hint');
  assert.equal(await page.locator('[data-error-for="me.emails"]').getAttribute('aria-live'), 'polite');
  assert.deepEqual(errors, []);
  await page.close();
});

test('groups are picked by name from the directory, and a typed id still works', async () => {
  const s = snapshot();
  s.groups = [
    { product: 'freshdesk', id: '43000000351', name: 'Billing' },
    { product: 'freshdesk', id: '43000000352', name: 'Sales <b>EU</b>' },
    { product: 'freshchat', id: '40753ac3-1f66-40d9-b903-23db0a9a70b0', name: 'Chat support' },
  ];
  s.rules.new_ticket.groups = ['43000000352', '999'];
  const { page, errors } = await open('light', { snapshot: s });
  await page.click('#tab-rules');
  const picker = page.getByRole('group', { name: 'Pick groups by name' }).first();
  // Names as text; only the ids the field takes (numbers) are offered.
  assert.deepEqual((await picker.locator('label').allInnerTexts()).map((t) => t.trim()), ['Billing', 'Sales <b>EU</b>']);
  assert.equal(await page.isChecked('#rule-groups-pick-43000000352'), true);
  assert.equal(await page.isChecked('#rule-groups-pick-43000000351'), false);
  await page.getByLabel('Billing').first().check();
  assert.equal(await page.inputValue('#rule-groups'), '43000000352, 999, 43000000351');
  await page.getByLabel('Sales <b>EU</b>').first().uncheck();
  assert.equal(await page.inputValue('#rule-groups'), '999, 43000000351');
  // "About me" has its own picker, with Freshchat's groups too (their ids
  // are UUIDs: conversations assigned to my group read them).
  await page.check('#me-group-ids-pick-43000000351');
  await page.check('#me-group-ids-pick-40753ac3-1f66-40d9-b903-23db0a9a70b0');
  assert.equal(await page.inputValue('#me-group-ids'), '43000000351, 40753ac3-1f66-40d9-b903-23db0a9a70b0');
  await page.uncheck('#me-group-ids-pick-40753ac3-1f66-40d9-b903-23db0a9a70b0');
  assert.equal(await page.inputValue('#me-group-ids'), '43000000351');
  // A refresh keeps the ticks and the focus on the box.
  await page.focus('#rule-groups-pick-43000000351');
  await page.evaluate(() => window.__mock.emit('view-changed', null));
  await page.waitForTimeout(100);
  assert.equal(await page.isChecked('#rule-groups-pick-43000000351'), true);
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'rule-groups-pick-43000000351');
  await page.click('#rules-save');
  await page.waitForFunction(() => window.__mock.calls.some((c) => c.cmd === 'save_rules'));
  const saved = (await calls(page, 'save_rules'))[0];
  assert.deepEqual(saved.args.rules.new_ticket.groups, ['999', '43000000351']);
  assert.deepEqual(saved.args.rules.me.group_ids, ['43000000351']);
  await page.screenshot({ path: join(results, 'rules-groups.png'), fullPage: true });
  assert.deepEqual(errors, []);
  await page.close();
});

test('joining with an invitation: a pasted link fills the form, a used code is refused at its field, the code leaves the page', async () => {
  const { page, errors } = await open();
  await page.click('#tab-accounts');
  await page.selectOption('#account-kind', 'invite');
  assert.equal(await page.locator('label[for=account-secret]').innerText(), 'Invitation code, or the deskbell:// link');
  assert.equal(await page.locator('form.account-form button[type=submit]').innerText(), 'Join');
  // The link as `deskbell-relay invite` prints it, pasted whole.
  await page.fill('#account-secret', 'deskbell://invite?relay=https%3A%2F%2Frelay.acme.example%2F&code=K7QM-2XPA-9DHT&name=ann-laptop');
  assert.equal(await page.inputValue('#account-secret'), 'K7QM-2XPA-9DHT');
  assert.equal(await page.inputValue('#account-url'), 'https://relay.acme.example/');
  assert.equal(await page.inputValue('#account-name'), 'ann-laptop');
  await page.evaluate(() => {
    window.__mock.failNext.redeem_invite = {
      code: 'invite_used',
      field: 'code',
      message: 'this invitation code was used already; ask your admin for a new one; nothing was saved',
    };
  });
  await page.click('form.account-form button[type=submit]');
  await page.waitForFunction(() => document.querySelector('#account-secret')?.getAttribute('aria-invalid') === 'true');
  assert.match(await page.locator('#account-error').innerText(), /used already/);
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'account-secret');
  assert.equal(await page.inputValue('#account-secret'), '', 'the code is out of the page');
  await page.fill('#account-secret', 'k7qm 2xpa 9dht');
  await page.click('form.account-form button[type=submit]');
  await page.waitForFunction(() => window.__mock.calls.filter((c) => c.cmd === 'redeem_invite').length === 2);
  const [, joined] = await calls(page, 'redeem_invite');
  assert.deepEqual(joined.args, {
    account: { kind: 'relay', name: 'ann-laptop', url: 'https://relay.acme.example/', fallback_urls: [], domains: [] },
    code: 'k7qm 2xpa 9dht',
  });
  assert.deepEqual(await calls(page, 'add_account'), [], 'no token was typed or sent');
  assert.equal(await page.content().then((html) => /K7QM|k7qm/.test(html)), false);
  assert.deepEqual(errors, []);
  await page.close();
});

test("a connection test's outcome shows though the list was redrawn while it ran", async () => {
  const { page, errors } = await open();
  await page.click('#tab-accounts');
  await page.evaluate(() => {
    window.__mock.delayNext.test_connection = 400;
  });
  await page.click('button[aria-label="Test acme"]');
  assert.equal(await page.locator('li[data-account="acme"] .probe').innerText(), 'Testing…');
  // The tray's view changed meanwhile (a relay's `me`, a status): redrawn.
  await page.evaluate(() => window.__mock.emit('view-changed', null));
  await page.waitForFunction(() => window.__mock.calls.filter((c) => c.cmd === 'get_snapshot').length === 2);
  await page.waitForTimeout(100);
  assert.equal(await page.locator('li[data-account="acme"] .probe').innerText(), 'Testing…', 'still said after the redraw');
  await page.waitForFunction(() => document.querySelector('li[data-account="acme"] .probe')?.textContent === 'Connection works');
  assert.deepEqual(errors, []);
  await page.close();
});

test("a clicked invitation link's outcome is said on the Accounts tab, once", async () => {
  const { page, errors } = await open();
  const notice = 'Invitation accepted: account ann-laptop added for ann@acme.example.';
  // The tray sets it and tells the window, which reads it with the view.
  await page.evaluate((n) => {
    window.__mock.snapshot.accounts_notice = n;
    window.__mock.emit('view-changed', null);
  }, notice);
  await page.waitForFunction(() => document.querySelector('p.accounts-notice')?.textContent !== '');
  assert.equal(await page.getAttribute('#tab-accounts', 'aria-selected'), 'true');
  assert.equal(await page.locator('p.accounts-notice').innerText(), notice);
  assert.equal(await page.getAttribute('p.accounts-notice', 'role'), 'status');
  assert.deepEqual(errors, []);
  await page.close();
});

test('"About me" says who the relay says I am, and an empty field shows what it uses', async () => {
  const s = snapshot();
  s.relay_me = [
    {
      name: 'tom-desk',
      emails: ['tom@acme.example'],
      agents: [{ product: 'freshdesk', id: '43000000001' }, { product: 'freshcaller', id: '5001' }],
      groups: [{ product: 'freshdesk', id: '351', name: 'Billing' }, { product: 'freshcaller', id: '2201', name: 'Support <i>EU</i>' }],
    },
  ];
  s.rules.me.emails = ['typed@acme.example'];
  const { page, errors } = await open('light', { snapshot: s });
  await page.click('#tab-rules');
  const said = await page.locator('#me-from-relay').innerText();
  assert.equal(
    said,
    'From your relay: You are tom@acme.example · Freshdesk agent 43000000001, Freshcaller agent 5001 · groups Billing, Support <i>EU</i>. A field left empty uses this; what you type overrides it.',
  );
  assert.equal(await page.locator('#me-from-relay i').count(), 0, 'names are text');
  assert.equal(await page.inputValue('#me-agent-ids'), '', 'nothing typed for the agent ids');
  assert.equal(await page.getAttribute('#me-agent-ids', 'placeholder'), '43000000001, 5001');
  assert.equal(await page.getAttribute('#me-group-ids', 'placeholder'), '351, 2201');
  assert.equal(await page.inputValue('#me-emails'), 'typed@acme.example', 'what was typed stays');
  assert.match(await page.getAttribute('#me-emails', 'aria-describedby'), /me-from-relay/);
  assert.match(await page.getAttribute('#me-emails', 'aria-describedby'), /me-emails-error/);
  await page.screenshot({ path: join(results, 'rules-about-me.png'), fullPage: true });
  assert.deepEqual(errors, []);
  await page.close();
});

test('a refused account is marked at its field, described by the reason, and focused', async () => {
  const { page, errors } = await open();
  await page.click('#tab-accounts');
  await page.evaluate(() => {
    window.__mock.failNext.add_account = { code: 'account_url', field: 'url', message: 'the URL must start with https://' };
  });
  await page.fill('#account-name', 'second');
  await page.fill('#account-url', 'ftp://relay.example/');
  await page.fill('#account-secret', 'dbr_x');
  await page.click('form.account-form button[type=submit]');
  await page.waitForFunction(() => document.querySelector('#account-url')?.getAttribute('aria-invalid') === 'true');
  assert.match(await page.getAttribute('#account-url', 'aria-describedby'), /account-error/);
  assert.equal(await page.locator('#account-error').innerText(), 'the URL must start with https://');
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'account-url');
  // Fixed and added: the mark goes.
  await page.fill('#account-url', 'https://relay.example/');
  await page.fill('#account-secret', 'dbr_x');
  await page.click('form.account-form button[type=submit]');
  await page.waitForFunction(() => document.querySelector('#account-form-heading')?.textContent === 'Add an account');
  assert.equal(await page.getAttribute('#account-url', 'aria-invalid'), null);
  assert.deepEqual(errors, []);
  await page.close();
});

test('no sideways scroll at 320 px, no spill at 200% zoom, and the selected tab marked in forced colours', async () => {
  const long = snapshot();
  long.board[0].name = 'Maximiliana-Wilhelmina Oberstaatsanwaltschaftssekretariatsleiterin';
  for (const [width, label] of [
    [320, '320 px'],
    // 200% zoom of the 960 px window: half as many CSS pixels.
    [480, '200% zoom'],
  ]) {
    const { page } = await open('light', { width, snapshot: long });
    for (const tab of ['#tab-board', '#tab-feed', '#tab-rules', '#tab-accounts']) {
      await page.click(tab);
      const [scroll, client] = await page.evaluate(() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]);
      assert.ok(scroll <= client, `${label} ${tab}: ${scroll} > ${client}`);
      await page.screenshot({ path: join(results, `reflow-${width}-${tab.slice(5)}.png`), fullPage: true });
    }
    await page.click('#tab-board');
    const spilled = await page.evaluate(() => [...document.querySelectorAll('.board td')].filter((td) => td.scrollWidth > td.clientWidth).map((td) => td.textContent));
    assert.deepEqual(spilled, [], label);
    await page.close();
  }
  const { page } = await open('light', { forcedColors: 'active' });
  const mark = (sel) => page.evaluate((s) => getComputedStyle(document.querySelector(s)).textDecorationLine, sel);
  assert.equal(await mark('#tab-board'), 'underline');
  assert.equal(await mark('#tab-feed'), 'none');
  await page.screenshot({ path: join(results, 'forced-colours.png') });
  await page.close();
});

test('axe finds no WCAG 2.1 A/AA violation on any tab, light or dark', async () => {
  const axe = join(here, '..', 'node_modules', 'axe-core', 'axe.min.js');
  for (const scheme of ['light', 'dark']) {
    const { page, errors } = await open(scheme);
    await page.addScriptTag({ path: axe });
    for (const tab of ['#tab-board', '#tab-feed', '#tab-rules', '#tab-accounts']) {
      await page.click(tab);
      const violations = await page.evaluate(async () => {
        const result = await window.axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } });
        return result.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
      });
      assert.deepEqual(violations, [], `${scheme} ${tab}`);
    }
    // With a refused field showing, too.
    await page.click('#tab-rules');
    await page.fill('#quiet-mon', '25:00');
    const violations = await page.evaluate(async () => (await window.axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } })).violations.map((v) => v.id));
    assert.deepEqual(violations, [], `${scheme} with an error`);
    assert.deepEqual(errors, []);
    await page.close();
  }
});

test('in German: the page, the board, the feed, the forms and their errors, and back to English when the tray says so', async () => {
  const s = snapshot();
  s.locale = { language: 'de', tag: 'de-DE', source: 'os' };
  const { page, errors } = await open('light', { snapshot: s });
  const text = (sel) => page.locator(sel).first().innerText();
  assert.equal(await page.evaluate(() => document.documentElement.lang), 'de-DE');
  assert.equal(await text('#tab-board'), 'Übersicht');
  assert.equal(await text('#tab-accounts'), 'Konten');
  assert.equal(await page.getAttribute('nav.tabs', 'aria-label'), 'Bereiche');
  assert.equal(await text('#status'), '1 von 1 Konto verbunden');
  assert.equal(await page.getAttribute('table.board', 'aria-label'), 'Team-Übersicht');
  assert.equal(await text('tr[data-agent="2"] .status'), 'Beschäftigt / im Gespräch');
  assert.equal(await text('tr[data-agent="2"] td:last-child'), '5 Min.');
  await page.click('#tab-feed');
  assert.equal(await text('.away strong'), 'Während Ihres Anrufs');
  assert.equal(await text('.away p'), '1 verpasster Anruf');
  assert.equal(await text('li[data-feed="2"] button.open'), 'Öffnen');
  assert.equal(await page.getAttribute('li[data-feed="2"] button.open', 'aria-label'), 'New ticket #42: <script>alert(1)</script> öffnen');
  assert.equal(await text('li[data-feed="1"] .held-note'), 'zurückgehalten während Ihres Anrufs');
  await page.click('#tab-rules');
  assert.equal(await text('fieldset.subscriptions legend'), 'Benachrichtigen bei');
  assert.equal((await text('label[for="sub-missed_call"]')).trim(), 'Verpasste Anrufe');
  await page.fill('#quiet-mon', '25:00');
  await page.waitForFunction(() => document.querySelector('[data-error-for="quiet_hours.mon"]')?.textContent !== '');
  assert.equal(await text('[data-error-for="quiet_hours.mon"]'), 'Ruhezeiten am Montag: erwartet HH:MM-HH:MM, nicht „25:00“');
  await page.click('#tab-accounts');
  assert.equal(await text('#account-form-heading'), 'Konto hinzufügen');
  assert.equal(await text('label[for=account-secret]'), 'Agent-Token');
  await page.addScriptTag({ path: join(here, '..', 'node_modules', 'axe-core', 'axe.min.js') });
  const violations = await page.evaluate(async () => (await window.axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } })).violations.map((v) => v.id));
  assert.deepEqual(violations, []);
  await page.screenshot({ path: join(results, 'german.png'), fullPage: true });

  // The config changed to English: the next snapshot says so, and the
  // page, the board and the forms speak English again.
  await page.evaluate(() => {
    window.__mock.snapshot.locale = { language: 'en', tag: 'en', source: 'config' };
    window.__mock.emit('view-changed', null);
  });
  await page.waitForFunction(() => document.querySelector('#tab-board')?.textContent === 'Board');
  assert.equal(await page.evaluate(() => document.documentElement.lang), 'en');
  assert.equal(await text('#account-form-heading'), 'Add an account');
  assert.equal(await text('tr[data-agent="2"] .status'), 'Busy / on a call');
  assert.deepEqual(errors, []);
  await page.close();
});
