// A synthetic contact center, replayed against the Freshworks platform's
// 50 requests a minute: how many missed calls reach the desktops, and how
// late, with the forwarding app as it was (every call and agent event
// pushed), with its budget (server.js's own filter, loaded as the platform
// loads it), and with the budget plus the relay's API poller.
// Deterministic (a fixed seed); a model, not a measurement.
//
// Usage: node bench/contact_center.js [OUT.json]   (prints the table too)

'use strict';

const fs = require('node:fs');
const path = require('node:path');
const { install } = require('../freshworks-app/test-support/platform');

const FIXTURES = path.join(__dirname, '..', 'tests', 'fixtures');
const fixture = (name) => JSON.parse(fs.readFileSync(path.join(FIXTURES, name), 'utf8'));

// The contact center, per agent and hour, and the platform.
const MODEL = {
  minutes: 60,
  calls_per_agent_hour: 20, // one every 3 minutes
  missed_share: 0.1,
  // create, routed, queued, outcome, recording, cost, notes
  events_per_call: 7,
  // busy when a call is taken, after-call work, online again
  status_changes_per_answered_call: 3,
  tickets_per_agent_hour: 2,
  // status changes, replies, reassignments of each ticket over the hour
  ticket_updates_per_ticket: 3,
  budget_per_minute: 50,
  platform_attempts: 3,
  platform_retry_ms: 2000,
  request_ms: 150,
  poll_every_ms: 10000,
  poll_request_ms: 400,
};

function rng(seed) {
  // mulberry32
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const clone = (v) => JSON.parse(JSON.stringify(v));
const base = {
  ringing: fixture('freshcaller/call-create-incoming-ringing.json'),
  missed: fixture('freshcaller/call-update-incoming-missed.json'),
  answered: fixture('freshcaller/call-update-incoming-answered.json'),
  agent: fixture('freshcaller/agent-update-busy.json'),
  ticket: fixture('freshdesk/ticket-create.json'),
  ticketStatus: fixture('freshdesk/ticket-update-status-resolved.json'),
  ticketOther: fixture('freshdesk/ticket-update-source-priority.json'),
};

function callEvent(template, id, changes) {
  const p = clone(template);
  p.data.call.id = id;
  p.data.changes = changes;
  return p;
}

// Every product event of the hour, in time order: [ms, event, payload, tag].
function contactCenter(agents, seed) {
  const r = rng(seed);
  const hour = MODEL.minutes * 60000;
  const out = [];
  let callId = 1_000_000;
  const calls = Math.round((agents * MODEL.calls_per_agent_hour * MODEL.minutes) / 60);
  for (let n = 0; n < calls; n += 1) {
    const id = (callId += 1);
    const start = r() * hour;
    const missed = r() < MODEL.missed_share;
    const outcomeAt = start + (missed ? 30000 : 20000) * (0.5 + r());
    const end = outcomeAt + (missed ? 2000 : 180000 * (0.5 + r()));
    const outcome = missed ? base.missed : base.answered;
    const status = missed ? 3 : 1;
    out.push([start, 'onCallCreate', callEvent(base.ringing, id, {}), null]);
    out.push([start + 1000, 'onCallUpdate', callEvent(base.ringing, id, { assigned_team_id: [2201, null] }), null]);
    out.push([start + 3000, 'onCallUpdate', callEvent(base.ringing, id, { assigned_call_queue_id: [11, null] }), null]);
    out.push([outcomeAt, 'onCallUpdate', callEvent(outcome, id, { call_status: [status, null] }), missed ? { missed: id } : null]);
    out.push([end + 1000, 'onCallUpdate', callEvent(outcome, id, { recording: [{ id }, null] }), missed ? { late: id } : null]);
    out.push([end + 2000, 'onCallUpdate', callEvent(outcome, id, { bill_duration: [60, null] }), missed ? { late: id } : null]);
    out.push([end + 30000, 'onCallUpdate', callEvent(outcome, id, { call_notes: ['noted', null] }), missed ? { late: id } : null]);
    if (!missed) {
      const agent = 1 + Math.floor(r() * agents);
      const steps = [
        [outcomeAt, [1, 2]],
        [end, [2, 3]],
        [end + 30000, [3, 1]],
      ].slice(0, MODEL.status_changes_per_answered_call);
      for (const [at, change] of steps) {
        const p = clone(base.agent);
        p.data.agent.id = agent;
        p.data.changes = { model_changes: { status: change } };
        out.push([at, 'onAgentUpdate', p, null]);
      }
    }
  }
  const tickets = Math.round((agents * MODEL.tickets_per_agent_hour * MODEL.minutes) / 60);
  for (let n = 0; n < tickets; n += 1) {
    const at = r() * hour;
    const t = clone(base.ticket);
    t.data.ticket.id = 500000 + n;
    out.push([at, 'onTicketCreate', t, null]);
    for (let u = 0; u < MODEL.ticket_updates_per_ticket; u += 1) {
      const update = clone(u === 0 ? base.ticketStatus : base.ticketOther);
      update.data.ticket.id = 500000 + n;
      out.push([at + (u + 1) * 600000 * r(), 'onTicketUpdate', update, null]);
    }
  }
  out.sort((a, b) => a[0] - b[0]);
  return out.filter(([at]) => at < hour);
}

// The forwarding app before the budget: every call and agent event, new
// tickets, and ticket updates that changed the agent or the group.
function forwardedBefore(event, payload) {
  if (event === 'onTicketUpdate') {
    const changes = (payload.data.ticket && payload.data.ticket.changes) || {};
    return 'responder_id' in changes || 'group_id' in changes;
  }
  return true;
}

// The platform's request method: at most 50 requests in any 60 s, each
// attempt counted; a 429 retried 2 s later, three attempts in all, then the
// event is dropped. Returns, per request (in `at` order), when it reached
// the relay, or null.
function platform(times) {
  const delivered = new Array(times.length).fill(null);
  // Attempts come in time order from two queues, each already sorted: the
  // first attempts (`times` is sorted) and the retries (each 2 s after an
  // attempt taken in time order).
  const retries = [];
  let retryHead = 0;
  let next = 0;
  const sent = [];
  let sentHead = 0;
  while (next < times.length || retryHead < retries.length) {
    const takeRetry = retryHead < retries.length && (next >= times.length || retries[retryHead].at <= times[next]);
    const a = takeRetry ? retries[retryHead++] : { at: times[next], i: next++, left: MODEL.platform_attempts };
    while (sentHead < sent.length && sent[sentHead] <= a.at - 60000) sentHead += 1;
    if (sent.length - sentHead < MODEL.budget_per_minute) {
      sent.push(a.at);
      delivered[a.i] = a.at + MODEL.request_ms;
    } else if (a.left > 1) {
      retries.push({ at: a.at + MODEL.platform_retry_ms, i: a.i, left: a.left - 1 });
    }
  }
  return delivered;
}

function percentile(sorted, p) {
  if (!sorted.length) return null;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

// What the app sends of `events`, as it decides with its own clock and
// budget (the platform's cap is applied afterwards, by `platform`).
async function pushedByTheApp(events) {
  let now = 0;
  const sent = [];
  const platformApp = install(
    { relay_url: 'https://relay.example.com/', ingress_secret: 'sim' },
    {
      clock: () => Date.parse('2026-12-01T09:00:00Z') + now,
      limitPerMinute: Number.MAX_SAFE_INTEGER,
      sleep: async () => {},
      transport: async () => {
        sent.push(now);
        return { status: 202, headers: {}, response: '{"id":1}' };
      },
    },
  );
  const pushed = [];
  for (const ev of events) {
    now = ev[0];
    const before = sent.length;
    await platformApp.fire(ev[1], ev[2]);
    if (sent.length > before) pushed.push(ev);
  }
  return pushed;
}

async function run(agents, seed) {
  const events = contactCenter(agents, seed);
  const missedAt = new Map();
  for (const [at, , , tag] of events) if (tag && tag.missed) missedAt.set(tag.missed, at);
  const results = {};
  for (const mode of ['before', 'budget', 'budget_and_polling']) {
    const pushed =
      mode === 'before' ? events.filter(([, event, payload]) => forwardedBefore(event, payload)) : await pushedByTheApp(events);
    const delivered = platform(pushed.map(([at]) => at));
    // The first delivery that tells the relay a call was missed.
    const popup = new Map();
    pushed.forEach(([, , , tag], i) => {
      const id = tag && (tag.missed || tag.late);
      if (id && delivered[i] !== null && !(popup.get(id) <= delivered[i])) popup.set(id, delivered[i]);
    });
    if (mode === 'budget_and_polling') {
      // The poller lists calls every 10 s; a missed call shows once it ended.
      const phase = rng(seed + 7)() * MODEL.poll_every_ms;
      for (const [id, at] of missedAt) {
        const tick = phase + Math.ceil((at - phase) / MODEL.poll_every_ms) * MODEL.poll_every_ms;
        const found = tick + MODEL.poll_request_ms;
        if (!(popup.get(id) <= found)) popup.set(id, found);
      }
    }
    const delays = [];
    for (const [id, at] of missedAt) if (popup.has(id)) delays.push(popup.get(id) - at);
    delays.sort((a, b) => a - b);
    const perMinute = new Array(MODEL.minutes).fill(0);
    for (const [at] of pushed) perMinute[Math.min(MODEL.minutes - 1, Math.floor(at / 60000))] += 1;
    results[mode] = {
      missed_calls: missedAt.size,
      missed_calls_lost: missedAt.size - delays.length,
      popup_delay_p50_s: percentile(delays, 50) === null ? null : percentile(delays, 50) / 1000,
      popup_delay_p99_s: percentile(delays, 99) === null ? null : percentile(delays, 99) / 1000,
      requests_per_minute_mean: pushed.length / MODEL.minutes,
      minutes_over_budget: perMinute.filter((n) => n > MODEL.budget_per_minute).length,
      events_dropped: delivered.filter((d) => d === null).length,
    };
  }
  return { agents, events_per_hour: events.length, ...results };
}

async function main() {
  const rows = [];
  for (const agents of [10, 50, 200, 1000]) rows.push(await run(agents, 20261201));
  const out = process.argv[2];
  if (out) {
    fs.mkdirSync(path.dirname(out), { recursive: true });
    fs.writeFileSync(out, JSON.stringify({ model: MODEL, rows }, null, 2));
  }
  const fmt = (v) => (v === null ? '-' : Number.isInteger(v) ? String(v) : v.toFixed(1));
  console.log('| agents | events/h | mode | requests/min | missed calls | lost | p50 s | p99 s |');
  console.log('| ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: |');
  for (const row of rows) {
    for (const mode of ['before', 'budget', 'budget_and_polling']) {
      const m = row[mode];
      console.log(
        `| ${row.agents} | ${row.events_per_hour} | ${mode.replace(/_/g, ' ')} | ${fmt(m.requests_per_minute_mean)} | ${m.missed_calls} | ${m.missed_calls_lost} | ${fmt(m.popup_delay_p50_s)} | ${fmt(m.popup_delay_p99_s)} |`,
      );
    }
  }
}

if (require.main === module) main();

module.exports = { run, MODEL };
