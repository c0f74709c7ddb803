// A stand-in for the Freshworks platform, for tests: it loads server.js the
// way the platform's sandbox does (`exports = {...}`), routes each product
// event to the handler manifest.json names, and implements
// `$request.invokeTemplate` from config/requests.json with real HTTP.
// Installation parameters are substituted as the platform does; secure ones
// are kept out of event payloads. The request method's limit is enforced as
// documented: 50 requests a minute per app and account, answered 429 past
// it (each attempt counts, retries included). One deviation: the platform
// always speaks https, the stand-in speaks http to a loopback host.

'use strict';

const fs = require('node:fs');
const http = require('node:http');
const https = require('node:https');
const path = require('node:path');
const vm = require('node:vm');

const APP = path.join(__dirname, '..');

function readJson(rel) {
  return JSON.parse(fs.readFileSync(path.join(APP, rel), 'utf8'));
}

function substitute(text, scope) {
  return text.replace(/<%=\s*(iparam|context)\.([A-Za-z0-9_]+)\s*%>/g, (_, kind, name) => {
    const value = scope[kind][name];
    if (value === undefined) throw new Error(`template placeholder ${kind}.${name} has no value`);
    return String(value);
  });
}

function send({ protocol, method, host, path: urlPath, headers, body }) {
  const url = new URL(`${protocol}://${host}${urlPath}`);
  const lib = protocol === 'https' ? https : http;
  return new Promise((resolve, reject) => {
    const req = lib.request(url, { method, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, response: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const realSleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// The request method's cap: at most `limit` requests in any 60 s.
function rateLimiter(limit, clock) {
  const sent = [];
  return {
    take() {
      const now = clock();
      while (sent.length && sent[0] <= now - 60000) sent.shift();
      if (sent.length >= limit) return Math.ceil((sent[0] + 60000 - now) / 1000);
      sent.push(now);
      return 0;
    },
  };
}

// `require` as the platform's sandbox allows it: the app's own files in
// server/ (JSON or JS); no npm dependencies are declared in manifest.json.
function sandboxRequire(name) {
  if (!name.startsWith('./')) throw new Error(`require(${name}): not a file of the app`);
  const file = path.join(APP, 'server', name);
  if (!file.startsWith(path.join(APP, 'server') + path.sep)) throw new Error(`require(${name}): outside server/`);
  if (file.endsWith('.json')) return JSON.parse(fs.readFileSync(file, 'utf8'));
  throw new Error(`require(${name}): the stand-in loads JSON only`);
}

function isLoopback(host) {
  return /^(localhost|127\.0\.0\.1|\[::1\])(:\d+)?$/.test(host);
}

// The app as installed with `iparams`; `secure` names those kept out of
// payloads. Returns { handlers, fire(eventName, payload), requests, logs, app }.
// Options, for the simulation: `clock` (ms), `sleep(ms)`, `transport(request)`
// in place of HTTP, `limitPerMinute`.
function install(iparams, options = {}) {
  const clock = options.clock || Date.now;
  const sleep = options.sleep || realSleep;
  const transport = options.transport || send;
  const limiter = rateLimiter(options.limitPerMinute || 50, clock);
  const manifest = readJson('manifest.json');
  const templates = readJson('config/requests.json');
  const schema = readJson('config/iparams.json');
  const declared = Object.keys((manifest.modules.common || {}).requests || {});
  const requests = [];

  const $request = {
    async invokeTemplate(name, { context = {}, body } = {}) {
      if (!declared.includes(name)) throw new Error(`template ${name} is not declared in manifest.json`);
      const template = templates[name];
      if (!template) throw new Error(`template ${name} is not in config/requests.json`);
      const scope = { iparam: iparams, context };
      const { schema: s, options = {} } = template;
      const headers = {};
      for (const [k, v] of Object.entries(s.headers || {})) headers[k] = substitute(v, scope);
      const host = substitute(s.host, scope);
      const request = {
        protocol: s.protocol || (isLoopback(host) ? 'http' : 'https'),
        method: s.method,
        host,
        path: substitute(s.path, scope),
        headers,
        body,
      };
      // The platform retries network errors, 429 and 5xx, up to maxAttempts.
      const attempts = Math.min(options.maxAttempts || 1, 5);
      let last;
      for (let attempt = 1; attempt <= attempts; attempt += 1) {
        const wait = limiter.take();
        if (wait > 0) {
          last = { status: 429, headers: { 'retry-after': String(wait) }, response: 'rate limited' };
        } else {
          requests.push(request);
          try {
            last = await transport(request);
          } catch (err) {
            last = { status: 502, headers: {}, response: String(err) };
          }
        }
        if (last.status < 500 && last.status !== 429) break;
        if (attempt < attempts) await sleep(options.retryDelay || 0);
      }
      if (last.status >= 200 && last.status < 300) return last;
      throw last;
    },
  };

  // What the app logs, kept for the tests (the platform shows it to admins).
  const logs = [];
  const appConsole = {
    info: (...args) => logs.push(['info', args.join(' ')]),
    log: (...args) => logs.push(['info', args.join(' ')]),
    error: (...args) => logs.push(['error', args.join(' ')]),
  };
  const sandbox = {
    exports: {},
    $request,
    console: appConsole,
    require: sandboxRequire,
    URL,
    JSON,
    Object,
    Set,
    Error,
    // The app's clock is the stand-in's: the simulation runs an hour in a second.
    Date: class extends Date {
      constructor(...args) {
        if (args.length === 0) super(clock());
        else super(...args);
      }
      static now() {
        return clock();
      }
    },
  };
  vm.createContext(sandbox);
  vm.runInContext(fs.readFileSync(path.join(APP, 'server/server.js'), 'utf8'), sandbox, {
    filename: 'server/server.js',
  });
  const app = sandbox.exports;

  const handlers = {};
  for (const module of Object.values(manifest.modules)) {
    for (const [event, { handler }] of Object.entries(module.events || {})) {
      if (typeof app[handler] !== 'function') throw new Error(`${event}: no function ${handler} in server.js`);
      handlers[event] = handler;
    }
  }
  const visible = {};
  for (const [name, value] of Object.entries(iparams)) {
    if (!(schema[name] && schema[name].secure)) visible[name] = value;
  }

  return {
    handlers,
    requests,
    logs,
    app,
    // Delivers one product event as the platform does; `undefined` when the
    // app does not subscribe to it.
    async fire(event, payload) {
      const handler = handlers[event];
      if (!handler) return undefined;
      const result = await app[handler](Object.assign({}, payload, { iparams: visible }));
      // Out of the sandbox's realm, so deepEqual compares plain values.
      return result === undefined ? result : JSON.parse(JSON.stringify(result));
    },
  };
}

module.exports = { install };
