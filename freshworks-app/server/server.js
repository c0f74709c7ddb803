// Deskbell's forwarding app: the product events Deskbell needs pushed go, as
// they arrived, to the relay's ingress (POST /v1/events) through the
// `forwardToRelay` request template. The platform allows 50 requests a
// minute per app and account, and drops what it cannot send, so the budget
// goes only to what needs a push: new tickets; ticket updates that change
// the assignment, the status, the due times, the escalation or spam; chat
// reassignments; each missed call once, when its outcome is final; agent
// updates that change what the board shows. The relay pulls the voluminous
// rest (every call, every status) from Freshcaller's REST API.

'use strict';

// What a participant's call_status means: the same file Deskbell's core
// reads (crates/core/src/rules/missed_call.rs).
const CALL_TABLE = require('./call-table.json');

// The platform's limit for this app's requests, per minute and account.
const BUDGET_PER_MINUTE = 50;

// What a forward is for, and how much of the minute's budget it may use:
// missed calls, new tickets and reassignments may spend all of it; the
// rest leaves room for them (the relay's poller brings agent statuses
// anyway, and due times are re-read on the next change).
const SPEND_UP_TO = {
  'missed call': BUDGET_PER_MINUTE,
  'new ticket': BUDGET_PER_MINUTE,
  'ticket reassigned': BUDGET_PER_MINUTE,
  'chat reassigned': BUDGET_PER_MINUTE,
  'ticket change Deskbell reads': 40,
  'agent update': 25,
};

// The ticket changes Deskbell's rules read: the assignment, and the first
// response and resolution due times, the SLA clock's status, escalation, spam.
const TICKET_ASSIGNMENT = ['responder_id', 'group_id'];
const TICKET_FIELDS = ['status', 'fr_due_by', 'due_by', 'fr_escalated', 'spam'];
const CONVERSATION_ASSIGNMENT = ['assigned_agent_id', 'assigned_group_id'];
// What the agent board shows of a Freshcaller agent.
const AGENT_BOARD_FIELDS = [
  'status',
  'available_on',
  'browser_status_id',
  'browser_status_name',
  'common_status_id',
  'common_status_name',
  'mobile_app_status_id',
  'mobile_app_status_name',
  'logged_in',
  'deleted',
  'teams',
];

// Freshworks puts changes in three places, depending on the product.
function changedFields(payload, object) {
  const data = (payload && payload.data) || {};
  const places = [
    data[object] && data[object].changes,
    data.changes,
    data.changes && data.changes.model_changes,
  ];
  const fields = new Set();
  for (const place of places) {
    if (place && typeof place === 'object' && !Array.isArray(place)) {
      for (const key of Object.keys(place)) fields.add(key);
    }
  }
  return fields;
}

function touches(payload, object, wanted) {
  const fields = changedFields(payload, object);
  return wanted.some((field) => fields.has(field));
}

// data.call (older platform) or data.phone_call (platform 3).
function callOf(payload) {
  const data = (payload && payload.data) || {};
  return data.phone_call || data.call || null;
}

function isIncoming(call) {
  const d = call.direction;
  if (typeof d === 'number') return CALL_TABLE.incoming_direction_codes.includes(d);
  if (typeof d !== 'string') return false;
  return ['incoming', 'inbound'].includes(d.trim().toLowerCase());
}

// A code as Freshworks sends it: a number, or a number in a string.
function code(value) {
  if (typeof value === 'number' && Number.isInteger(value)) return value;
  if (typeof value === 'string' && /^-?\d+$/.test(value.trim())) return Number(value.trim());
  return null;
}

// An incoming call whose customer ended in a missed status: what Deskbell's
// core calls a missed call.
function isMissedCall(call) {
  if (!call || !isIncoming(call)) return false;
  const customer = (call.participants || []).find(
    (p) => p && typeof p.participant_type === 'string' && p.participant_type.toLowerCase() === 'customer',
  );
  const status = customer ? code(customer.call_status) : null;
  return status !== null && CALL_TABLE.missed_statuses.includes(status);
}

// Forwarded once per call: on the update that sets its outcome. Later
// updates (recording, cost, notes) still say "missed"; the relay's poller
// and its one-event-per-missed-call rule cover an outcome sent some other way.
function isFinalMissedCall(event, payload) {
  const call = callOf(payload);
  if (!isMissedCall(call)) return false;
  if (event === 'onCallCreate' || event === 'onPhoneCallCreate') return true;
  return touches(payload, 'call', ['call_status']);
}

function isFreshcallerAgent(payload) {
  const data = (payload && payload.data) || {};
  return Boolean(data.changes && data.changes.model_changes);
}

// Why an event is forwarded, or null when it stays on the platform.
function worthForwarding(event, payload) {
  switch (event) {
    case 'onTicketCreate':
      return 'new ticket';
    case 'onTicketUpdate':
      if (touches(payload, 'ticket', TICKET_ASSIGNMENT)) return 'ticket reassigned';
      return touches(payload, 'ticket', TICKET_FIELDS) ? 'ticket change Deskbell reads' : null;
    case 'onConversationUpdate':
      return touches(payload, 'conversation', CONVERSATION_ASSIGNMENT) ? 'chat reassigned' : null;
    case 'onCallCreate':
    case 'onCallUpdate':
    case 'onPhoneCallCreate':
    case 'onPhoneCallUpdate':
      return isFinalMissedCall(event, payload) ? 'missed call' : null;
    case 'onAgentUpdate':
      // Freshdesk's agent updates carry no changes: the board needs them all.
      if (!isFreshcallerAgent(payload)) return 'agent update';
      return touches(payload, 'agent', AGENT_BOARD_FIELDS) ? 'agent update' : null;
    default:
      return null;
  }
}

// Requests spent in the current minute, for the budget and the log: the
// platform's own counter is not visible to the app. (Counted per running
// instance of the app; the platform may run more than one.)
const minute = { key: null, forwarded: 0, kept: 0 };

function spentThisMinute() {
  return minute.key === new Date().toISOString().slice(0, 16) ? minute.forwarded : 0;
}

function countThisMinute(forwarded) {
  const key = new Date().toISOString().slice(0, 16);
  if (minute.key !== key) {
    if (minute.key !== null) {
      console.info(
        `deskbell: minute ${minute.key}Z: forwarded ${minute.forwarded} of ${BUDGET_PER_MINUTE}, kept ${minute.kept}`,
      );
    }
    minute.key = key;
    minute.forwarded = 0;
    minute.kept = 0;
  }
  if (forwarded) minute.forwarded += 1;
  else minute.kept += 1;
  return minute.forwarded;
}

// The relay's host and base path from the `relay_url` installation
// parameter, for the request template. Plain http only to this machine.
function relayTarget(iparams) {
  const raw = iparams && iparams.relay_url;
  if (typeof raw !== 'string' || raw.trim() === '') {
    throw new Error('the relay_url installation parameter is empty');
  }
  let url;
  try {
    url = new URL(raw.trim());
  } catch (_) {
    throw new Error('the relay_url installation parameter is not a URL');
  }
  const loopback = ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) {
    throw new Error('the relay_url installation parameter must use https');
  }
  return { host: url.host, path: url.pathname.replace(/\/+$/, '') };
}

async function forward(event, payload) {
  const why = worthForwarding(event, payload);
  if (!why) {
    countThisMinute(false);
    console.info(`deskbell: ${event} kept: nothing Deskbell needs pushed`);
    return { forwarded: false };
  }
  if (spentThisMinute() >= SPEND_UP_TO[why]) {
    countThisMinute(false);
    console.info(`deskbell: ${event} kept (${why}): this minute's budget is left for missed calls and new tickets`);
    return { forwarded: false, budget: true };
  }
  let target;
  try {
    target = relayTarget(payload && payload.iparams);
  } catch (err) {
    console.error(`deskbell: ${event} not forwarded: ${err.message}`);
    return { forwarded: false, error: 'bad_iparams' };
  }
  const spent = countThisMinute(true);
  // The payload as it arrived, less the installation parameters.
  const body = Object.assign({}, payload);
  delete body.iparams;
  try {
    // The platform retries network errors, 429 and 5xx itself (options in
    // config/requests.json); what still fails is logged here.
    const response = await $request.invokeTemplate('forwardToRelay', {
      context: target,
      body: JSON.stringify(body),
    });
    let id = null;
    let duplicate = false;
    try {
      const answer = JSON.parse(response.response);
      id = answer.id;
      // The relay keeps one event per missed call: it had this one.
      duplicate = answer.duplicate === true;
    } catch (_) {
      // An ingress without a JSON body still took the event (202).
    }
    const stored = duplicate ? `already stored as relay event ${id}` : `as relay event ${id}`;
    console.info(`deskbell: ${event} forwarded (${why}) ${stored}; ${spent} of ${BUDGET_PER_MINUTE} this minute`);
    return duplicate ? { forwarded: true, id, duplicate } : { forwarded: true, id };
  } catch (err) {
    const status = err && err.status;
    console.error(`deskbell: ${event} not forwarded: relay answered ${status}`);
    return { forwarded: false, error: 'relay_refused', status };
  }
}

exports = {
  onTicketCreateHandler: (payload) => forward('onTicketCreate', payload),
  onTicketUpdateHandler: (payload) => forward('onTicketUpdate', payload),
  onConversationUpdateHandler: (payload) => forward('onConversationUpdate', payload),
  onCallCreateHandler: (payload) => forward('onCallCreate', payload),
  onCallUpdateHandler: (payload) => forward('onCallUpdate', payload),
  onPhoneCallCreateHandler: (payload) => forward('onPhoneCallCreate', payload),
  onPhoneCallUpdateHandler: (payload) => forward('onPhoneCallUpdate', payload),
  onAgentUpdateHandler: (payload) => forward('onAgentUpdate', payload),
  // For the tests and the simulation (bench/contact_center.js); the
  // platform calls only the handlers above.
  worthForwarding,
};
