// The forwarding app against a real relay on loopback: every seed fixture
// goes through its handler; what Deskbell uses is stored by the relay and
// delivered by its stream unchanged, and the rest stays on the platform.
// Run: node --test freshworks-app/test/   (needs target/debug/deskbell-relay)

'use strict';

const assert = require('node:assert/strict');
const { spawn, execFileSync } = require('node:child_process');
const fs = require('node:fs');
const http = require('node:http');
const os = require('node:os');
const path = require('node:path');
const readline = require('node:readline');
const { test, before, after } = require('node:test');

const { install } = require('../test-support/platform');

const ROOT = path.join(__dirname, '..', '..');
const FIXTURES = path.join(ROOT, 'tests', 'fixtures');
const RELAY = process.env.DESKBELL_RELAY_BIN || path.join(ROOT, 'target', 'debug', 'deskbell-relay');
const SECRET = 'forwarding-app-test-secret';

let relay;
let addr;
let token;
let dataDir;

before(async () => {
  assert.ok(fs.existsSync(RELAY), `${RELAY} is missing: cargo build -p deskbell-relay`);
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'deskbell-forwarding-'));
  token = execFileSync(RELAY, ['--data', dataDir, 'token', 'add', 'forwarding-test'], { encoding: 'utf8' })
    .trim()
    .split('\n')
    .pop();
  relay = spawn(RELAY, ['--data', dataDir, 'serve', '--listen', '127.0.0.1:0'], {
    env: Object.assign({}, process.env, { DESKBELL_RELAY_SECRET: SECRET, RUST_LOG: 'warn' }),
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const first = await new Promise((resolve) => readline.createInterface({ input: relay.stdout }).once('line', resolve));
  addr = first.split('http://').pop().trim();
});

after(() => {
  if (relay) relay.kill();
  if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
});

function seedFixtures() {
  const out = [];
  for (const family of ['freshdesk', 'freshcaller', 'freshchat']) {
    for (const file of fs.readdirSync(path.join(FIXTURES, family)).sort()) {
      if (!file.endsWith('.json')) continue;
      const payload = JSON.parse(fs.readFileSync(path.join(FIXTURES, family, file), 'utf8'));
      // Some seed samples name the event under "events" (a documented quirk).
      out.push({ name: `${family}/${file}`, event: payload.event || payload.events, payload });
    }
  }
  return out;
}

// Reads the relay's stream from the start until `want` ids were seen.
function readStream(want, timeoutMs = 15000) {
  return new Promise((resolve, reject) => {
    const seen = new Map();
    const req = http.get(
      `http://${addr}/v1/stream`,
      { headers: { Authorization: `Bearer ${token}`, 'Last-Event-ID': '0' } },
      (res) => {
        assert.equal(res.statusCode, 200);
        res.setEncoding('utf8');
        let buffer = '';
        res.on('data', (chunk) => {
          buffer += chunk;
          let end;
          while ((end = buffer.indexOf('\n\n')) >= 0) {
            const frame = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            const fields = {};
            for (const line of frame.split('\n')) {
              const at = line.indexOf(':');
              if (at > 0) fields[line.slice(0, at)] = line.slice(at + 1).replace(/^ /, '');
            }
            if (fields.id && fields.data) seen.set(Number(fields.id), { event: fields.event, data: fields.data });
          }
          if (want.every((id) => seen.has(id))) {
            req.destroy();
            resolve(seen);
          }
        });
      },
    );
    req.on('error', (err) => (err.code === 'ECONNRESET' ? null : reject(err)));
    setTimeout(() => {
      req.destroy();
      reject(new Error(`stream delivered ${[...seen.keys()]} of ${want}`));
    }, timeoutMs);
  });
}

test('every seed event Deskbell uses reaches the relay unchanged; the rest stays', async () => {
  const app = install({ relay_url: `http://${addr}/`, ingress_secret: SECRET });
  const forwarded = new Map();
  const duplicates = [];
  const kept = [];
  const unsubscribed = [];
  for (const fixture of seedFixtures()) {
    const result = await app.fire(fixture.event, fixture.payload);
    if (result === undefined) unsubscribed.push(fixture.name);
    else if (result.duplicate) duplicates.push([fixture.name, result.id]);
    else if (result.forwarded) forwarded.set(result.id, fixture);
    else {
      assert.equal(result.error, undefined, `${fixture.name}: ${JSON.stringify(result)}`);
      kept.push(fixture.name);
    }
  }

  // Events Deskbell never notifies about are not subscribed at all...
  assert.deepEqual(unsubscribed.filter((n) => n.startsWith('freshdesk/contact')).length, 3);
  for (const name of ['freshdesk/conversation-create-reply.json', 'freshchat/conversation-create.json']) {
    assert.ok(unsubscribed.includes(name), `${name} is not subscribed`);
  }
  // ...and what needs no push stays on the platform, within its 50 requests
  // a minute: updates that change nothing Deskbell reads, every call event
  // but the one that makes a missed call final, agent updates that change
  // nothing on the board.
  assert.deepEqual(kept.sort(), [
    'freshcaller/call-create-incoming-ringing.json',
    'freshcaller/call-update-direction-integer.json',
    'freshcaller/call-update-incoming-answered.json',
    'freshcaller/call-update-incoming-ended.json',
    'freshcaller/call-update-incoming-missed-cost-added.json',
    'freshcaller/call-update-outgoing-unanswered.json',
    'freshcaller/call-update-unmapped-status.json',
    'freshcaller/phone-call-create.json',
    'freshchat/conversation-update-reopened.json',
    'freshdesk/ticket-update-deleted.json',
    'freshdesk/ticket-update-source-priority.json',
  ]);
  // The relay keeps one event per missed call: the same call after a
  // transfer (one root call id) is answered with the first one's id.
  const names = [...forwarded.values()].map((f) => f.name);
  assert.deepEqual(duplicates.map(([name]) => name), ['freshcaller/phone-call-update-missed.json']);
  assert.equal(forwarded.get(duplicates[0][1]).name, 'freshcaller/phone-call-update-missed-after-transfer.json');
  for (const name of [
    'freshdesk/ticket-create.json',
    'freshdesk/ticket-update-responder-320-to-321.json',
    'freshdesk/ticket-update-group-351-to-352.json',
    'freshdesk/ticket-update-status-resolved.json',
    'freshdesk/agent-update.json',
    'freshchat/conversation-update-assigned-to-agent.json',
    'freshchat/conversation-update-taken-from-agent.json',
    'freshcaller/call-update-incoming-missed.json',
    'freshcaller/phone-call-update-missed-after-transfer.json',
    'freshcaller/agent-update-busy.json',
    'freshcaller/agent-update-mobile.json',
  ]) {
    assert.ok(names.includes(name), `${name} forwarded`);
  }

  // The relay stored each one, and its stream delivers it as it was sent,
  // less the installation parameters.
  const delivered = await readStream([...forwarded.keys()]);
  for (const [id, fixture] of forwarded) {
    const got = delivered.get(id);
    assert.equal(got.event, fixture.event, fixture.name);
    const sent = Object.assign({}, fixture.payload);
    delete sent.iparams;
    assert.deepEqual(JSON.parse(got.data), sent, fixture.name);
  }
  // The secure parameter went only into the Authorization header.
  for (const request of app.requests) {
    assert.ok(!request.body.includes(SECRET));
    assert.equal(request.headers.Authorization, `Bearer ${SECRET}`);
    assert.equal(request.path, '/v1/events');
  }
  assert.ok(app.logs.every(([, line]) => !line.includes(SECRET)));
});

test('a refused request is logged with its status, without the secret or the payload', async () => {
  const app = install({ relay_url: `http://${addr}/`, ingress_secret: 'not-the-secret' });
  const payload = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'freshdesk/ticket-create.json'), 'utf8'));
  const result = await app.fire('onTicketCreate', payload);
  assert.deepEqual(result, { forwarded: false, error: 'relay_refused', status: 401 });
  assert.equal(app.requests.length, 1, 'a 401 is not retried');
  const [level, line] = app.logs.pop();
  assert.equal(level, 'error');
  assert.equal(line, 'deskbell: onTicketCreate not forwarded: relay answered 401');
});

test('an unreachable relay is retried within the platform limits, then logged', async () => {
  // A port nothing listens on.
  const server = http.createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  const app = install({ relay_url: `http://127.0.0.1:${port}/`, ingress_secret: SECRET });
  const payload = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'freshdesk/ticket-create.json'), 'utf8'));
  const result = await app.fire('onTicketCreate', payload);
  assert.equal(result.forwarded, false);
  assert.equal(app.requests.length, 3, 'maxAttempts from config/requests.json');
});

test('a relay URL that is not https is refused before any request', async () => {
  const app = install({ relay_url: 'http://relay.example.com/', ingress_secret: SECRET });
  const payload = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'freshdesk/ticket-create.json'), 'utf8'));
  const result = await app.fire('onTicketCreate', payload);
  assert.deepEqual(result, { forwarded: false, error: 'bad_iparams' });
  assert.equal(app.requests.length, 0);
  assert.match(app.logs.pop()[1], /must use https/);
});

function fixture(name) {
  return JSON.parse(fs.readFileSync(path.join(FIXTURES, name), 'utf8'));
}

// One call's life as the platform delivers it: created ringing, then
// updates for connect, transfer, outcome, recording, cost and notes. The
// outcome update carries `call_status` in its changes; the others do not.
function callLife(id, missed) {
  const ringing = fixture('freshcaller/call-create-incoming-ringing.json');
  const outcome = fixture(
    missed ? 'freshcaller/call-update-incoming-missed.json' : 'freshcaller/call-update-incoming-answered.json',
  );
  const events = [];
  const at = (payload, changes) => {
    const p = JSON.parse(JSON.stringify(payload));
    p.data.call.id = id;
    p.data.call.root_call_id = null;
    for (const part of p.data.call.participants || []) part.call_id = id;
    if (changes) p.data.changes = changes;
    return p;
  };
  events.push(['onCallCreate', at(ringing)]);
  events.push(['onCallUpdate', at(ringing, { assigned_agent_id: [5001, null] })]);
  events.push(['onCallUpdate', at(ringing, { assigned_team_id: [2202, 2201] })]);
  events.push(['onCallUpdate', at(outcome, { call_status: [missed ? 3 : 1, null] })]);
  events.push(['onCallUpdate', at(outcome, { recording: [{ id: 1 }, null] })]);
  events.push(['onCallUpdate', at(outcome, { bill_duration: [0, null] })]);
  events.push(['onCallUpdate', at(outcome, { call_notes: ['called back', null] })]);
  return events;
}

test('a burst of call updates under the 50-a-minute cap forwards each missed call once and nothing else', async () => {
  const app = install({ relay_url: `http://${addr}/`, ingress_secret: SECRET });
  const missed = new Set([91003, 91007, 91011]);
  const burst = [];
  for (let n = 0; n < 12; n += 1) burst.push(...callLife(91000 + n, missed.has(91000 + n)));
  assert.equal(burst.length, 84, 'more events than the platform would let through in a minute');
  const results = [];
  for (const [event, payload] of burst) results.push(await app.fire(event, payload));
  const forwarded = results.filter((r) => r.forwarded);
  assert.equal(forwarded.length, 3);
  assert.equal(app.requests.length, 3, 'one request per missed call, no retries');
  assert.ok(results.every((r) => r.error === undefined), JSON.stringify(results.filter((r) => r.error)));
  const delivered = await readStream(forwarded.map((r) => r.id));
  const calls = forwarded.map((r) => JSON.parse(delivered.get(r.id).data).data.call.id).sort();
  assert.deepEqual(calls, [...missed].sort());
  // The log says how much of the minute's budget went.
  assert.ok(
    app.logs.some(([, line]) => /forwarded \(missed call\) as relay event \d+; \d+ of 50 this minute/.test(line)),
    JSON.stringify(app.logs.slice(-3)),
  );
});

test('the stand-in enforces the cap: past it the platform answers 429 and drops the event', async () => {
  let now = Date.parse('2026-12-01T10:00:00Z');
  const sent = [];
  // A platform whose cap is lower than the app's own budget, to see the
  // platform's 429 (the app keeps to 50 a minute itself, see below).
  const app = install(
    { relay_url: 'https://relay.example.com/', ingress_secret: SECRET },
    {
      clock: () => now,
      limitPerMinute: 10,
      sleep: async (ms) => {
        now += ms;
      },
      transport: async (request) => {
        sent.push(request);
        return { status: 202, headers: {}, response: JSON.stringify({ id: sent.length }) };
      },
    },
  );
  const ticket = fixture('freshdesk/ticket-create.json');
  const outcomes = [];
  for (let n = 0; n < 11; n += 1) outcomes.push(await app.fire('onTicketCreate', ticket));
  assert.equal(sent.length, 10);
  assert.deepEqual(outcomes[10], { forwarded: false, error: 'relay_refused', status: 429 });
  // A minute later there is room again.
  now += 60000;
  assert.equal((await app.fire('onTicketCreate', ticket)).forwarded, true);
});

test('the app keeps to its budget: agent statuses leave room for missed calls and new tickets', async () => {
  let now = Date.parse('2026-12-01T10:00:00Z');
  const sent = [];
  const app = install(
    { relay_url: 'https://relay.example.com/', ingress_secret: SECRET },
    {
      clock: () => now,
      transport: async (request) => {
        sent.push(JSON.parse(request.body).event);
        return { status: 202, headers: {}, response: '{"id":1}' };
      },
    },
  );
  const busy = fixture('freshcaller/agent-update-busy.json');
  const results = [];
  for (let n = 0; n < 30; n += 1) results.push(await app.fire('onAgentUpdate', busy));
  assert.equal(sent.length, 25, 'agent updates spend at most 25 of the 50');
  assert.deepEqual(results[29], { forwarded: false, budget: true });
  for (let n = 0; n < 30; n += 1) await app.fire('onTicketCreate', fixture('freshdesk/ticket-create.json'));
  assert.equal(sent.filter((e) => e === 'onTicketCreate').length, 25, 'new tickets may spend the rest');
  const [, missed] = callLife(93001, true)[3];
  assert.deepEqual(await app.fire('onCallUpdate', missed), { forwarded: false, budget: true }, 'the minute is spent');
  assert.ok(app.logs.some(([, line]) => line.includes("this minute's budget is left for missed calls and new tickets")));
  now += 60000;
  assert.equal((await app.fire('onCallUpdate', missed)).forwarded, true);
});

// The app and the core read one call table (server/call-table.json): on
// every Freshcaller fixture, the app's "missed" is the core's, as
// `deskbell check` reports it.
test('the forwarding app and the core agree on which calls are missed, from one table', () => {
  const checkBin = process.env.DESKBELL_BIN || path.join(ROOT, 'target', 'debug', 'deskbell');
  assert.ok(fs.existsSync(checkBin), `${checkBin} is missing: cargo build`);
  const app = install({ relay_url: `http://${addr}/`, ingress_secret: SECRET });
  const table = JSON.parse(fs.readFileSync(path.join(ROOT, 'freshworks-app', 'server', 'call-table.json'), 'utf8'));
  assert.deepEqual(table.missed_statuses, [3]);
  let calls = 0;
  for (const file of fs.readdirSync(path.join(FIXTURES, 'freshcaller')).sort()) {
    const payload = fixture(`freshcaller/${file}`);
    const event = payload.event;
    if (!/Call(Create|Update)$/.test(event)) continue;
    calls += 1;
    const out = execFileSync(checkBin, ['check', path.join(FIXTURES, 'freshcaller', file)], { encoding: 'utf8' });
    const core = JSON.parse(out.trim().split('\n').pop()).notifications.some((n) => n.kind === 'missed_call');
    // As the outcome update: its changes name call_status.
    const asOutcome = JSON.parse(JSON.stringify(payload));
    asOutcome.data.changes = { call_status: [3, null] };
    const forApp = app.app.worthForwarding(event, asOutcome) === 'missed call';
    assert.equal(forApp, core, `${file}: the app says ${forApp}, the core ${core}`);
  }
  assert.ok(calls >= 10, `${calls} call fixtures`);
});
