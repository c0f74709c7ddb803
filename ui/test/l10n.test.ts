// The window's catalogs (locales/<code>/window.ftl): the same messages in
// every language, every id the code says is there, German said in German's
// forms, and what a catalog lacks said in English.

import { FluentResource } from '@fluent/bundle';
import page from '../index.html?raw';
import boardLogic from '../src/board.ts?raw';
import mainPage from '../src/main.ts?raw';
import rulesLogic from '../src/rules.ts?raw';
import accountsView from '../src/views/accounts.ts?raw';
import boardView from '../src/views/board.ts?raw';
import feedView from '../src/views/feed.ts?raw';
import rulesView from '../src/views/rules.ts?raw';
import { afterEach, describe, expect, it } from 'vitest';
import { kindCount } from '../src/views/feed';
import { CATALOGS, formatCount, formatDateTime, setLocale, t, tAttr } from '../src/l10n';

const english = { language: 'en', tag: 'en' } as const;
const german = { language: 'de', tag: 'de-DE' } as const;

/** Each message's id with its attribute names: "tabs.aria-label". */
function entries(source: string): string[] {
  const resource = new FluentResource(source);
  return resource.body.flatMap((m) => [
    ...(m.value ? [m.id] : []),
    ...Object.keys(m.attributes).map((a) => `${m.id}.${a}`),
  ]);
}

/** Every source file that says a text. */
const SOURCES = [boardLogic, mainPage, rulesLogic, accountsView, boardView, feedView, rulesView];

afterEach(() => setLocale(english));

describe('the window catalogs', () => {
  it('have the same messages, attributes included, in every language', () => {
    const en = entries(CATALOGS.en);
    expect(en.length).toBeGreaterThan(150);
    expect(new Set(en).size).toBe(en.length);
    expect(entries(CATALOGS.de).sort()).toEqual([...en].sort());
  });

  it('have every id the code and the page name', () => {
    const have = new Set(entries(CATALOGS.en).map((e) => e.split('.')[0]));
    const code = [...SOURCES.join('\n').matchAll(/\bt(?:Attr)?\('([a-z0-9-]+)'/g)].map((m) => m[1]!);
    const fixed = [...page.matchAll(/data-l10n-id="([a-z0-9-]+)"/g)].map((m) => m[1]!);
    // The ids the code puts together: one per kind, day and secret.
    const built = [
      ...['missed-call', 'new-ticket', 'conversation-reassigned', 'ticket-reassigned', 'agent-status', 'first-response-due'].map((k) => `kind-${k}`),
      ...['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'].map((d) => `day-${d}`),
      ...['token', 'password', 'invite'].map((w) => `account-secret-${w}`),
    ];
    expect(code.length).toBeGreaterThan(100);
    expect(fixed.length).toBe(8);
    const missing = [...code, ...fixed, ...built].filter((id) => !have.has(id));
    expect(missing).toEqual([]);
  });

  it('say German in German forms: plurals, digits, dates', () => {
    setLocale(german);
    expect(document.documentElement.lang).toBe('de-DE');
    expect(kindCount('missed_call', 1)).toBe('1 verpasster Anruf');
    expect(kindCount('missed_call', 3)).toBe('3 verpasste Anrufe');
    expect(t('status-connected', { live: 1, count: 2 })).toBe('1 von 2 Konten verbunden');
    expect(formatCount(12345)).toBe('12.345');
    expect(formatDateTime(new Date(2026, 11, 3, 14, 5))).toMatch(/^3\. Dez\.?,? 14:05$/);
    expect(tAttr('tabs', 'aria-label')).toBe('Bereiche');
    setLocale(english);
    expect(formatCount(12345)).toBe('12,345');
    expect(kindCount('missed_call', 1)).toBe('1 missed call');
  });

  it('say in English what a catalog lacks', () => {
    setLocale(german, { de: 'feed-open = Öffnen\n' });
    expect(t('feed-open')).toBe('Öffnen');
    expect(t('feed-dismiss')).toBe('Dismiss');
  });
});
