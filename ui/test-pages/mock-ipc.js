// Runs in the page before the app (page.addInitScript): a stand-in for the
// Tauri IPC that the app's @tauri-apps/api calls go through. Commands answer
// from window.__mock.snapshot, every call is recorded, and tests emit app
// events with window.__mock.emit(name, payload).
(() => {
  const callbacks = new Map();
  const listeners = new Map();
  let next = 1;
  const mock = {
    calls: [],
    snapshot: null,
    failNext: {},
    /** Milliseconds the next call of a command takes to answer. */
    delayNext: {},
    emit(event, payload) {
      for (const id of listeners.get(event) ?? []) callbacks.get(id)?.({ event, id, payload });
    },
  };
  window.__mock = mock;
  window.__TAURI_INTERNALS__ = {
    transformCallback(callback) {
      const id = next++;
      callbacks.set(id, callback);
      return id;
    },
    async invoke(cmd, args = {}) {
      if (cmd === 'plugin:event|listen') {
        const ids = listeners.get(args.event) ?? [];
        ids.push(args.handler);
        listeners.set(args.event, ids);
        return args.handler;
      }
      mock.calls.push({ cmd, args: JSON.parse(JSON.stringify(args)) });
      const delay = mock.delayNext[cmd];
      if (delay) {
        delete mock.delayNext[cmd];
        await new Promise((r) => setTimeout(r, delay));
      }
      const failure = mock.failNext[cmd];
      if (failure) {
        delete mock.failNext[cmd];
        throw failure;
      }
      if (cmd === 'get_snapshot') return JSON.parse(JSON.stringify(mock.snapshot));
      if (cmd === 'add_account' || cmd === 'update_account' || cmd === 'redeem_invite') return args.account;
      if (cmd === 'save_rules') return args.rules;
      return null;
    },
  };
})();
