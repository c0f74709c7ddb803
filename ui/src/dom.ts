// Elements built from text only: customer and agent text is never parsed as
// HTML (no innerHTML anywhere in the UI).

type Attrs = Record<string, string | boolean | undefined>;

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: (Node | string | null | undefined)[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === false) continue;
    el.setAttribute(name, value === true ? '' : value);
  }
  for (const child of children) {
    if (child === null || child === undefined) continue;
    el.append(typeof child === 'string' ? document.createTextNode(child) : child);
  }
  return el;
}

export function clear(el: Element): void {
  el.replaceChildren();
}

/**
 * What has focus, said so that it survives a redraw: its `data-focus` key,
 * else its id. Redrawn controls carry the same key, so focus can go back.
 */
export function focusKey(): string | null {
  const el = document.activeElement;
  if (!(el instanceof HTMLElement) || el === document.body) return null;
  if (el.dataset.focus) return `key:${el.dataset.focus}`;
  return el.id ? `id:${el.id}` : null;
}

/** Focus back on the control `focusKey` named, if the redraw kept one. */
export function restoreFocus(key: string | null): void {
  if (key === null) return;
  const target = key.startsWith('key:')
    ? [...document.querySelectorAll<HTMLElement>('[data-focus]')].find((el) => el.dataset.focus === key.slice(4))
    : document.getElementById(key.slice(3));
  if (target && target !== document.activeElement) target.focus({ preventScroll: true });
}
