// Deskbell's forwarding app: every product event Deskbell uses goes, as it
// arrived, to the relay's ingress (POST /v1/events) through the
// `forwardToRelay` request template. The platform allows about 50 requests
// a minute per app and account, so updates that change nothing Deskbell
// notifies about (a ticket's status, a chat's resolution) stay here.

'use strict';

// The changes Deskbell's rules read; any other update is not forwarded.
const TICKET_ASSIGNMENT = ['responder_id', 'group_id'];
const CONVERSATION_ASSIGNMENT = ['assigned_agent_id', 'assigned_group_id'];

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

function worthForwarding(event, payload) {
  switch (event) {
    case 'onTicketUpdate':
      return touches(payload, 'ticket', TICKET_ASSIGNMENT);
    case 'onConversationUpdate':
      return touches(payload, 'conversation', CONVERSATION_ASSIGNMENT);
    default:
      return true;
  }
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
  if (!worthForwarding(event, payload)) {
    console.info(`deskbell: ${event} kept: no change Deskbell notifies about`);
    return { forwarded: false };
  }
  let target;
  try {
    target = relayTarget(payload && payload.iparams);
  } catch (err) {
    console.error(`deskbell: ${event} not forwarded: ${err.message}`);
    return { forwarded: false, error: 'bad_iparams' };
  }
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
    try {
      id = JSON.parse(response.response).id;
    } catch (_) {
      // An ingress without a JSON body still took the event (202).
    }
    console.info(`deskbell: ${event} forwarded as relay event ${id}`);
    return { forwarded: true, id };
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
};
