// The board with 500 agents in Debian's Chromium (the built ui/dist, the
// IPC mocked as in the page tests): what one live status change costs,
// layout included, against redrawing the whole table once, the cost every
// change would have without in-place updates. Also one snapshot refresh
// that changes nothing. A benchmark: prints figures, fails on none.
// Usage: node bench/board.bench.mjs OUT.json (after npm run build).

import { readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { dirname, extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';

import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
const dist = join(here, '..', 'dist');
const out = process.argv[2] ?? join(here, '..', 'test-results', 'board-bench.json');
const AGENTS = 500;
const ROUNDS = 5;

const TEAMS = [['10', 'Tier 1'], ['20', 'Billing'], ['30', 'Tier 2'], ['40', 'Nights']];
const KINDS = ['online', 'busy', 'after_call_work', 'offline'];
const row = (i, kind) => ({
  id: String(i),
  name: `Agent ${String(i).padStart(3, '0')}`,
  email: `agent${i}@acme.example`,
  status: { kind },
  available_on: 'browser',
  teams: [TEAMS[i % 4]].map(([id, name]) => ({ id, name })),
  since: new Date(Date.now() - i * 60000).toISOString(),
});
const board = Array.from({ length: AGENTS }, (_, i) => row(i + 1, KINDS[i % 4]));
const snapshot = {
  demo: false,
  accounts: [],
  board,
  me: ['1'],
  feed: [],
  away: null,
  subscriptions: { missed_call: true, new_ticket: true, conversation_reassigned: true, ticket_reassigned: true, agent_status: false },
  rules: { new_ticket: { min_priority: null, groups: [], types: [], sources: [], tags: [], only_mine: false }, quiet_hours: {}, hold_while_on_call: true, me: { agent_ids: [], emails: [], group_ids: [] } },
  dnd_until: null,
  config_problem: null,
};

const server = createServer((req, res) => {
  const path = normalize(decodeURIComponent(new URL(req.url, 'http://x').pathname)).replace(/^\/+/, '');
  try {
    const body = readFileSync(join(dist, path === '' ? 'index.html' : path));
    const type = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css' }[extname(path || 'index.html')];
    res.writeHead(200, { 'content-type': type ?? 'application/octet-stream' }).end(body);
  } catch {
    res.writeHead(404).end();
  }
});
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium', args: ['--no-sandbox'] });
const page = await browser.newPage({ viewport: { width: 960, height: 640 } });
await page.addInitScript({ path: join(here, '..', 'test-pages', 'mock-ipc.js') });
await page.addInitScript((s) => (window.__mock.snapshot = s), snapshot);
await page.goto(`http://127.0.0.1:${server.address().port}/`);
await page.waitForFunction((n) => document.querySelectorAll('tbody tr').length === n, AGENTS);

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const rounds = [];
for (let round = 0; round < ROUNDS; round++) {
  rounds.push(
    await page.evaluate(
      async ({ board, round }) => {
        const kinds = ['online', 'busy', 'after_call_work', 'offline'];
        const layout = () => document.body.getBoundingClientRect().height;
        // Every agent changes status once, as events: each applied and laid out.
        let t = performance.now();
        for (const r of board) {
          const row = { ...r, status: { kind: kinds[(kinds.indexOf(r.status.kind) + round + 1) % 4] } };
          window.__mock.emit('board-row', { agent_id: r.id, row });
          layout();
        }
        const perUpdate = (performance.now() - t) / board.length;
        // Baseline: the same 500 rows drawn afresh once, as a full redraw does.
        const tbody = document.querySelector('tbody');
        t = performance.now();
        const fresh = document.createElement('tbody');
        for (const r of board) {
          const tr = document.createElement('tr');
          for (const text of [r.name, r.status.kind, 'Browser', r.teams[0].name, '5 min']) {
            const td = document.createElement('td');
            td.textContent = text;
            tr.append(td);
          }
          fresh.append(tr);
        }
        const kept = [...tbody.children];
        tbody.replaceChildren(...fresh.children);
        layout();
        const fullRedraw = performance.now() - t;
        tbody.replaceChildren(...kept);
        layout();
        // A refresh whose snapshot holds the same board.
        const before = window.__mock.calls.filter((c) => c.cmd === 'get_snapshot').length;
        window.__mock.emit('view-changed', null);
        while (window.__mock.calls.filter((c) => c.cmd === 'get_snapshot').length === before) {
          await new Promise((r) => setTimeout(r, 5));
        }
        t = performance.now();
        await new Promise((r) => setTimeout(r, 0));
        layout();
        return { perUpdate, fullRedraw, refresh: performance.now() - t };
      },
      { board, round },
    ),
  );
}
await browser.close();
server.close();

const perUpdate = median(rounds.map((r) => r.perUpdate));
const fullRedraw = median(rounds.map((r) => r.fullRedraw));
const figures = {
  board_500_update_ms: perUpdate,
  board_500_full_redraw_ms: fullRedraw,
  board_500_full_redraw_vs_update_ratio: fullRedraw / perUpdate,
  board_500_unchanged_refresh_ms: median(rounds.map((r) => r.refresh)),
};
writeFileSync(out, `${JSON.stringify(figures, null, 2)}\n`);
console.log(JSON.stringify(figures, null, 2));
