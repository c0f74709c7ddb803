// The real window process (deskbell-window) over WebDriver (tauri-driver +
// WebKitWebDriver) on the headless desktop, talking to the real tray
// process (deskbell) over its local socket, against a real relay: add a
// relay account in the window (the demo stops) and test its connection,
// see an agent's status change arrive on the board, switch a subscription
// off in the window and see the tray menu's checkbox follow (and back),
// save a rule edit, replace the account's token from the window; then the
// tray killed: the window says so, and starts it again. The relay reads its
// directory from the Freshdesk API double, and the token is bound to Tom's
// email: the Rules tab picks groups by name, and "About me" says who the
// relay says Tom is. Last, the tray again under a German OS locale: its
// menu, a missed call's popup and the window in German.
// Run inside scripts/headless-session: node --test tests/webdriver/
// Screenshots of each screen go to target/webdriver/.

import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const APP = join(ROOT, 'target', 'debug', 'deskbell');
const WINDOW = join(ROOT, 'target', 'debug', 'deskbell-window');
const RELAY = join(ROOT, 'target', 'debug', 'deskbell-relay');
const SHOTS = join(ROOT, 'target', 'webdriver');
const SECRET = 'webdriver-test-secret';
const DRIVER = 'http://127.0.0.1:4444';
const ELEMENT = 'element-6066-11e4-a52e-4f735466cecf';

let scratch;
let relay;
let api;
let relayAddr;
let token;
let driver;
let session;
let tray;

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function waitFor(what, f, timeoutMs = 20000) {
  const end = Date.now() + timeoutMs;
  let last;
  while (Date.now() < end) {
    try {
      last = await f();
      if (last) return last;
    } catch (e) {
      last = e;
    }
    await sleep(200);
  }
  throw new Error(`timed out waiting for ${what}: ${last}`);
}

// A minimal WebDriver client: the handful of W3C endpoints the test uses.
async function wd(method, path, body) {
  const res = await fetch(`${DRIVER}${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
    // A stuck webview fails the test instead of hanging it.
    signal: AbortSignal.timeout(30000),
  });
  const json = await res.json();
  if (!res.ok) throw new Error(`${method} ${path}: ${JSON.stringify(json.value ?? json)}`);
  return json.value;
}
const s = (path) => `/session/${session}${path}`;
const find = async (css) => (await wd('POST', s('/element'), { using: 'css selector', value: css }))[ELEMENT];
// The window redraws parts of itself when the app's view changes, so an
// element found a moment ago may be gone: find it again, a few times.
async function onElement(css, act) {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await act(await find(css));
    } catch (e) {
      if (attempt >= 3 || !String(e).includes('stale element reference')) throw e;
    }
  }
}
const click = (css) => onElement(css, (id) => wd('POST', s(`/element/${id}/click`), {}));
const type = (css, text) => onElement(css, (id) => wd('POST', s(`/element/${id}/value`), { text }));
const clear = (css) => onElement(css, (id) => wd('POST', s(`/element/${id}/clear`), {}));
const script = (js) => wd('POST', s('/execute/sync'), { script: js, args: [] });
const text = (css) => onElement(css, (id) => wd('GET', s(`/element/${id}/text`)));
const shot = async (name) => writeFileSync(join(SHOTS, `${name}.png`), Buffer.from(await wd('GET', s('/screenshot')), 'base64'));

function postEvent(payload) {
  return fetch(`http://${relayAddr}/v1/events`, {
    method: 'POST',
    headers: { authorization: `Bearer ${SECRET}`, 'content-type': 'application/json' },
    body: JSON.stringify(payload),
  }).then((r) => assert.equal(r.status, 202));
}

/** The tray's dbusmenu, found by the app's pid (see tests/support). */
function trayMenu() {
  const pid = execFileSync('pgrep', ['-n', '-f', `^${APP}( |$)`], { encoding: 'utf8' }).trim();
  // Bus names come and go while this looks: their errors are not news.
  const call = (...args) => execFileSync('gdbus', ['call', '--session', ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  const dbus = ['--dest', 'org.freedesktop.DBus', '--object-path', '/org/freedesktop/DBus'];
  for (const name of call(...dbus, '--method', 'org.freedesktop.DBus.ListNames').match(/:[0-9.]+/g) ?? []) {
    let owner;
    try {
      owner = call(...dbus, '--method', 'org.freedesktop.DBus.GetConnectionUnixProcessID', name);
    } catch {
      continue;
    }
    if (!owner.includes(` ${pid},`)) continue;
    let intro;
    try {
      // The tray's other connections (notifications, keyring) have no menu.
      intro = execFileSync('gdbus', ['introspect', '--session', '--dest', name, '--object-path', '/MenuBar'], {
        encoding: 'utf8',
        timeout: 1500,
        stdio: ['ignore', 'pipe', 'ignore'],
      });
    } catch {
      continue;
    }
    if (!intro.includes('com.canonical.dbusmenu')) continue;
    const path = '/MenuBar';
    return (method, ...args) => call('--dest', name, '--object-path', path, '--method', `com.canonical.dbusmenu.${method}`, ...args);
  }
  throw new Error('no tray item');
}

const trayLayout = () => trayMenu()('GetLayout', '0', 'int32 -1', '[]');

/** Clicks the tray menu item labelled `label`, as the desktop's tray does. */
function trayClick(label) {
  const layout = trayLayout();
  const at = layout.indexOf(`'label': <'${label}'>`);
  assert.ok(at >= 0, `${label} in the tray menu`);
  const id = layout.slice(layout.lastIndexOf('(', at) + 1).split(',')[0].trim();
  trayMenu()('Event', id, 'clicked', '<0>', '0');
}

function checkState(layout, label) {
  const at = layout.indexOf(`'label': <'${label}'>`);
  assert.ok(at >= 0, `${label} in the tray menu`);
  const start = layout.lastIndexOf('(', at);
  const end = layout.indexOf('}', at);
  const m = layout.slice(start, end).match(/'toggle-state': <(\d)>/);
  return m ? Number(m[1]) : null;
}

before(async () => {
  for (const v of ['DISPLAY', 'DBUS_SESSION_BUS_ADDRESS']) {
    assert.ok(process.env[v], `${v}: run through scripts/headless-session (scripts/test does)`);
  }
  mkdirSync(SHOTS, { recursive: true });
  scratch = mkdtempSync(join(tmpdir(), 'deskbell-webdriver-'));
  // The Freshdesk API double, with Tom and his group.
  const KEY = 'webdriver-api-key';
  api = spawn('python3', [join(ROOT, 'tests/doubles/freshworks_api.py'), '--key', KEY], { stdio: ['ignore', 'pipe', 'inherit'] });
  const apiBase = (await new Promise((r) => createInterface({ input: api.stdout }).once('line', r))).split('listening on ').pop().trim();
  const seed = (path, body) =>
    fetch(`${apiBase}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }).then((r) =>
      assert.equal(r.status, 200),
    );
  await seed('/_double/agents', [{ id: 43000000001, available: true, group_ids: [351], contact: { name: 'Tom Agent', email: 'tom@acme.example' } }]);
  await seed('/_double/groups', [{ id: 351, name: 'Billing desk' }]);
  mkdirSync(join(scratch, 'relay'), { recursive: true });
  writeFileSync(join(scratch, 'relay', 'api.key'), KEY);
  const relayConfig = join(scratch, 'relay', 'relay.toml');
  writeFileSync(relayConfig, `[freshdesk]\nurl = "${apiBase}"\napi_key_file = "${join(scratch, 'relay', 'api.key')}"\n`);
  const relayArgs = ['--data', join(scratch, 'relay'), '--config', relayConfig];
  token = execFileSync(RELAY, [...relayArgs, 'token', 'add', 'webdriver', '--email', 'tom@acme.example'], { encoding: 'utf8' })
    .trim()
    .split('\n')
    .pop();
  relay = spawn(RELAY, [...relayArgs, 'serve', '--listen', '127.0.0.1:0'], {
    env: { ...process.env, DESKBELL_RELAY_SECRET: SECRET, RUST_LOG: 'warn' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  relayAddr = (await new Promise((r) => createInterface({ input: relay.stdout }).once('line', r))).split('http://').pop().trim();
  // The tray gets its own config and state dirs, so it starts with no
  // account; the window (started by the driver) only talks to it.
  const env = { ...process.env, XDG_CONFIG_HOME: join(scratch, 'config'), XDG_STATE_HOME: join(scratch, 'state') };
  tray = spawn(APP, [], { env, stdio: ['ignore', 'ignore', 'inherit'] });
  await waitFor('the tray on the bus', () => trayLayout().includes('Open Deskbell'));
  driver = spawn('tauri-driver', [], { env, stdio: ['ignore', 'inherit', 'inherit'] });
  await waitFor('tauri-driver', () => fetch(`${DRIVER}/status`).then((r) => r.ok));
  session = (
    await wd('POST', '/session', {
      capabilities: { alwaysMatch: { 'tauri:options': { application: WINDOW, args: [] } } },
    })
  ).sessionId;
});

after(async () => {
  if (session) await wd('DELETE', s('')).catch(() => {});
  driver?.kill();
  relay?.kill();
  api?.kill();
  tray?.kill();
  // tauri-driver leaves the window it started running when it is killed,
  // and the window's "Start Deskbell" started a tray of its own.
  for (const bin of [WINDOW, APP]) {
    try {
      execFileSync('pkill', ['-f', `^${bin}( |$)`]);
    } catch {
      // none left
    }
  }
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

test('add a relay account in the window, watch the board, and the tray follows the rules', async () => {
  await waitFor('the demo board', async () => (await text('#status')).startsWith('Demo'));
  await shot('board-demo');

  // Accounts: add the relay account; its line says it connected.
  await click('#tab-accounts');
  await type('#account-name', 'acme');
  await type('#account-url', `http://${relayAddr}/`);
  await type('#account-secret', token);
  await click('form.account-form button[type=submit]');
  await waitFor('the account connected', async () => (await text('li[data-account="acme"] .connection')) === 'Connected');
  assert.equal(await wd('POST', s('/execute/sync'), { script: 'return document.querySelector("#account-secret").value', args: [] }), '');
  await shot('accounts');
  const config = readFileSync(join(scratch, 'config', 'deskbell', 'config.toml'), 'utf8');
  assert.ok(config.includes('name = "acme"') && !config.includes(token));
  // The demo stopped: its agents left the board, and it says so no more.
  await waitFor('the demo gone', async () => !(await text('#status')).startsWith('Demo'));
  await waitFor('an empty board', async () => (await script('return document.querySelectorAll("tbody tr").length')) === 0);
  // "Test" tries the account with the secret the keyring holds.
  await click('button[aria-label="Test acme"]');
  await waitFor('the connection test', async () => (await text('li[data-account="acme"] .probe')) === 'Connection works');

  // Board: an agent update posted to the relay shows up in its row.
  const update = JSON.parse(readFileSync(join(ROOT, 'tests/fixtures/freshcaller/agent-update-busy.json'), 'utf8'));
  // Sent now: the fixture's own time is a year old, and a state not heard
  // of for 12 hours reads "unknown since".
  update.timestamp = Date.now() / 1000;
  await postEvent(update);
  await click('#tab-board');
  const id = String(update.data.agent.id);
  await waitFor('the agent row', async () => (await text(`tr[data-agent="${id}"] .status`)) === 'Busy / on a call');
  await shot('board');

  // Rules: groups by the directory's names, and "About me" as the relay
  // says it (the token is Tom's), with nothing typed.
  await click('#tab-rules');
  await waitFor('the group named', async () => (await text('label[for="rule-groups-pick-351"]')).trim() === 'Billing desk');
  await waitFor('About me from the relay', async () => (await text('#me-from-relay')).includes('tom@acme.example'));
  assert.match(await text('#me-from-relay'), /Freshdesk agent 43000000001/);
  assert.match(await text('#me-from-relay'), /groups Billing desk/);
  assert.equal(await script('return document.querySelector("#me-agent-ids").value'), '');
  await shot('rules-about-me');

  // Rules: switching "New tickets" off in the window unticks it in the tray.
  assert.equal(checkState(trayLayout(), 'New tickets'), 1);
  await click('#sub-new_ticket');
  await waitFor('the tray checkbox', () => checkState(trayLayout(), 'New tickets') === 0);
  await waitFor('the config', () => readFileSync(join(scratch, 'config', 'deskbell', 'config.toml'), 'utf8').includes('new_ticket = false'));
  await shot('rules');

  // A rule edit: refused as typed, then saved to the config.
  await type('#quiet-sun', '25:00-01:00');
  await waitFor('the error at Sunday', async () => (await text('[data-error-for="quiet_hours.sun"]')).includes('expected HH:MM-HH:MM'));
  // Off, said by aria-disabled: the button keeps its place in the tab order.
  assert.equal(await script('return document.querySelector("#rules-save").getAttribute("aria-disabled")'), 'true');
  await clear('#quiet-sun');
  await type('#quiet-sun', '22:00-23:30');
  await click('#rules-save');
  await waitFor('the save', async () => (await text('#rules-outcome')) === 'Saved.');
  await waitFor('quiet hours in the config', () =>
    /sun = \[\s*"22:00-23:30",?\s*\]/.test(readFileSync(join(scratch, 'config', 'deskbell', 'config.toml'), 'utf8')),
  );

  // And the other way: unticked in the tray, the window's switch follows;
  // the switch had focus, and has it again after the redraw.
  assert.equal(await wd('POST', s('/execute/sync'), { script: 'return document.querySelector("#sub-ticket_reassigned").checked', args: [] }), true);
  await script('window.__switchBefore = document.querySelector("#sub-ticket_reassigned"); window.__switchBefore.focus(); return true');
  trayClick('Reassigned tickets');
  await waitFor('the window switch', async () =>
    (await wd('POST', s('/execute/sync'), { script: 'return document.querySelector("#sub-ticket_reassigned").checked', args: [] })) === false,
  );
  assert.equal(await script('return window.__switchBefore !== document.querySelector("#sub-ticket_reassigned")'), true, 'redrawn');
  assert.equal(await script('return document.activeElement && document.activeElement.id'), 'sub-ticket_reassigned');

  // Editing the account: a new token replaces the keyring's. A wrong one is
  // refused by the relay; the right one connects again.
  await click('#tab-accounts');
  const relogin = async (secret) => {
    await click('button[aria-label="Edit acme"]');
    await waitFor('the edit form', async () => (await text('#account-form-heading')) === 'Edit acme');
    await type('#account-secret', secret);
    await click('form.account-form button[type=submit]');
    await waitFor('the add form again', async () => (await text('#account-form-heading')) === 'Add an account');
  };
  await relogin('not-the-token');
  await waitFor('sign-in needed', async () => (await text('li[data-account="acme"] .connection')).startsWith('Sign-in needed'));
  await relogin(token);
  await waitFor('connected again', async () => (await text('li[data-account="acme"] .connection')) === 'Connected');
  assert.ok(!readFileSync(join(scratch, 'config', 'deskbell', 'config.toml'), 'utf8').includes(token));

  // The tray killed: the window says so and offers to start it; started
  // from the window, the tray comes back with the account and connects.
  tray.kill('SIGKILL');
  await waitFor('the window told', async () => (await script('return document.querySelector("#tray-down").hidden')) === false);
  assert.match(await text('#tray-down'), /Deskbell is not running/);
  await shot('tray-down');
  await click('#start-tray');
  await waitFor('the tray back', async () => (await script('return document.querySelector("#tray-down").hidden')) === true);
  await waitFor('connected once more', async () => (await text('li[data-account="acme"] .connection')) === 'Connected', 30000);
  assert.ok(trayLayout().includes('Open Deskbell'), 'the new tray is on the bus');
});

test('under a German OS locale: the tray menu, a notification and the window speak German', async () => {
  // The tray the window started goes (killed: a tray that quits closes its
  // windows); one starts as a German desktop session would start it. The
  // window follows it over the socket.
  execFileSync('pkill', ['-KILL', '-f', `^${APP}( |$)`]);
  await waitFor('the window told', async () => (await script('return document.querySelector("#tray-down").hidden')) === false);
  const env = {
    ...process.env,
    XDG_CONFIG_HOME: join(scratch, 'config'),
    XDG_STATE_HOME: join(scratch, 'state'),
    LANG: 'de_DE.UTF-8',
    LC_ALL: '',
    LC_MESSAGES: '',
    LANGUAGE: '',
  };
  tray = spawn(APP, [], { env, stdio: ['ignore', 'ignore', 'inherit'] });
  await waitFor('the German tray menu', () => trayLayout().includes("'label': <'Deskbell öffnen'>"));
  const layout = trayLayout();
  for (const label of ['Verpasste Anrufe', 'Neue Tickets', 'Nicht stören', 'Bei der Anmeldung starten', 'Beenden']) {
    assert.ok(layout.includes(`'label': <'${label}'>`), `${label} in the tray menu`);
  }
  assert.ok(!layout.includes("'label': <'Quit'>"), 'no English left in the menu');

  // The window: German from the tray's next snapshot on.
  await waitFor('the window in German', async () => (await text('#tab-board')) === 'Übersicht');
  assert.equal(await script('return document.documentElement.lang'), 'de-DE');
  await click('#tab-accounts');
  await waitFor('connected, in German', async () => (await text('li[data-account="acme"] .connection')) === 'Verbunden', 30000);
  assert.equal(await text('#account-form-heading'), 'Konto hinzufügen');
  await shot('german-accounts');

  // A missed call: Tom is back online first (busy, his notifications wait
  // for the call to end), then the popup says it in German.
  const online = JSON.parse(readFileSync(join(ROOT, 'tests/fixtures/freshcaller/agent-update-online.json'), 'utf8'));
  online.timestamp = Date.now() / 1000;
  await postEvent(online);
  await click('#tab-board');
  const id = String(online.data.agent.id);
  await waitFor('Tom online', async () => (await text(`tr[data-agent="${id}"] .status`)) === 'Online');
  const missed = JSON.parse(readFileSync(join(ROOT, 'tests/fixtures/freshcaller/call-update-incoming-missed.json'), 'utf8'));
  await postEvent(missed);
  // dunst's history holds what was closed: a missed call stays on screen.
  const summaries = () => {
    execFileSync('dunstctl', ['close-all']);
    return JSON.parse(execFileSync('dunstctl', ['history'], { encoding: 'utf8' })).data.flat().map((n) => n.summary?.data ?? '');
  };
  await waitFor('the German popup', () => summaries().find((s) => s.startsWith('Verpasster Anruf von ')));
  await click('#tab-feed');
  await waitFor('the feed in German', async () => (await text('ol.feed li .title')).startsWith('Verpasster Anruf von '));
  await shot('german-feed');
});
