// The window in the agent's language. The texts are Fluent catalogs, one
// per language (locales/<code>/window.ftl, beside the core's deskbell.ftl);
// the tray says which language and locale tag in every snapshot, so the
// window speaks as the tray and the notifications do. Dates, times and
// numbers are formatted by Intl for that tag. A text the chosen catalog
// lacks is said in English.

import { FluentBundle, FluentResource, type FluentVariable } from '@fluent/bundle';
import de from '../../locales/de/window.ftl?raw';
import en from '../../locales/en/window.ftl?raw';

export type Language = 'en' | 'de';

export interface Locale {
  language: Language;
  /** BCP 47, e.g. "de-AT": the forms dates and numbers take. */
  tag: string;
}

export const CATALOGS: Record<Language, string> = { en, de };

function bundle(language: Language, source: string): FluentBundle {
  // No isolation marks: they would show as boxes in some fonts, and the
  // texts put in are names and numbers, not paragraphs.
  const b = new FluentBundle(language, { useIsolating: false });
  const errors = b.addResource(new FluentResource(source));
  for (const e of errors) console.error(`the ${language} catalog: ${e.message}`);
  return b;
}

const english = bundle('en', en);
let current: { locale: Locale; bundles: FluentBundle[] } = {
  locale: { language: 'en', tag: 'en' },
  bundles: [english],
};

/** The locale the window speaks now. */
export function locale(): Locale {
  return current.locale;
}

/**
 * Speak `next` from now on; true when that changed anything (the page's
 * fixed texts must then be said again). Catalogs are given only by tests.
 */
export function setLocale(next: Locale, catalogs: Partial<Record<Language, string>> = CATALOGS): boolean {
  if (next.language === current.locale.language && next.tag === current.locale.tag) return false;
  const source = catalogs[next.language];
  const primary = next.language === 'en' || source === undefined ? [] : [bundle(next.language, source)];
  current = { locale: next, bundles: [...primary, english] };
  document.documentElement.lang = next.tag;
  return true;
}

/** `id` in the window's language, with `args` put in. */
export function t(id: string, args?: Record<string, FluentVariable>): string {
  for (const b of current.bundles) {
    const message = b.getMessage(id);
    if (!message?.value) continue;
    const errors: Error[] = [];
    const text = b.formatPattern(message.value, args, errors);
    if (errors.length === 0) return text;
  }
  console.error(`no text for ${id}`);
  return id;
}

/** An attribute of `id` (`.aria-label`), in the window's language. */
export function tAttr(id: string, attr: string, args?: Record<string, FluentVariable>): string {
  for (const b of current.bundles) {
    const pattern = b.getMessage(id)?.attributes[attr];
    if (!pattern) continue;
    const errors: Error[] = [];
    const text = b.formatPattern(pattern, args, errors);
    if (errors.length === 0) return text;
  }
  return id;
}

/**
 * The page's fixed texts: each element with `data-l10n-id` gets its
 * message as text, and its message's attributes as attributes.
 */
export function translatePage(root: ParentNode = document): void {
  for (const el of root.querySelectorAll<HTMLElement>('[data-l10n-id]')) {
    const id = el.dataset.l10nId ?? '';
    const message = current.bundles.map((b) => b.getMessage(id)).find((m) => m !== undefined);
    if (!message) continue;
    if (message.value) el.textContent = t(id);
    for (const attr of Object.keys(message.attributes)) el.setAttribute(attr, tAttr(id, attr));
  }
}

/** A time of day: 14:05, 24-hour like the tray and the notifications. */
export function formatTime(date: Date, seconds = false): string {
  return new Intl.DateTimeFormat(current.locale.tag, {
    hour: '2-digit',
    minute: '2-digit',
    ...(seconds ? { second: '2-digit' } : {}),
    hourCycle: 'h23',
  }).format(date);
}

/** A day and time: "3 Dec, 14:05" / "3. Dez., 14:05". */
export function formatDateTime(date: Date): string {
  return new Intl.DateTimeFormat(current.locale.tag, {
    day: 'numeric',
    month: 'short',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).format(date);
}

/** A count in the locale's digits: 1,234 / 1.234. */
export function formatCount(n: number): string {
  return new Intl.NumberFormat(current.locale.tag).format(n);
}
