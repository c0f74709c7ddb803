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
  const kept = [];
  const unsubscribed = [];
  for (const fixture of seedFixtures()) {
    const result = await app.fire(fixture.event, fixture.payload);
    if (result === undefined) unsubscribed.push(fixture.name);
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
  // ...and updates that change nothing Deskbell reads stay on the platform,
  // within its 50 requests a minute.
  assert.deepEqual(kept.sort(), [
    'freshchat/conversation-update-reopened.json',
    'freshdesk/ticket-update-deleted.json',
    'freshdesk/ticket-update-source-priority.json',
    'freshdesk/ticket-update-status-resolved.json',
  ]);
  const names = [...forwarded.values()].map((f) => f.name);
  for (const name of [
    'freshdesk/ticket-create.json',
    'freshdesk/ticket-update-responder-320-to-321.json',
    'freshdesk/ticket-update-group-351-to-352.json',
    'freshdesk/agent-update.json',
    'freshchat/conversation-update-assigned-to-agent.json',
    'freshchat/conversation-update-taken-from-agent.json',
    'freshcaller/call-update-incoming-missed.json',
    'freshcaller/phone-call-update-missed.json',
    'freshcaller/agent-update-busy.json',
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
