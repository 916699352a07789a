/** Number formats shared by the panel and the chat. */

/**
 * A token count as people read one: "262K" (not "262.14K"), "8.2K", "1M", "1.5M". Counts of
 * ten thousand and more are whole thousands or millions; smaller ones keep one decimal.
 */
export function formatTokens(n: number | null | undefined): string {
  if (n === null || n === undefined) return '?';
  const thousands = roundTo(n / 1_000, n >= 10_000 ? 0 : 1);
  if (n >= 1_000_000 || thousands >= 1_000) return `${roundTo(n / 1_000_000, n >= 10_000_000 ? 0 : 1)}M`;
  if (n >= 1_000) return `${thousands}K`;
  return String(n);
}

function roundTo(n: number, decimals: number): number {
  const scale = 10 ** decimals;
  return Math.round(n * scale) / scale;
}

/** A price in USD per million tokens. */
export function formatPrice(usdPerMillion: number | null | undefined): string {
  if (usdPerMillion === null || usdPerMillion === undefined) return '—';
  if (usdPerMillion === 0) return 'free';
  return `$${trim(usdPerMillion)}`;
}

export function formatUsd(usd: number | null | undefined): string {
  if (usd === null || usd === undefined) return 'cost unknown';
  if (usd === 0) return '$0';
  if (usd < 0.01) return `$${usd.toFixed(6).replace(/0+$/, '')}`;
  return `$${usd.toFixed(2)}`;
}

export function formatAge(iso: string | null | undefined, now = Date.now()): string {
  if (!iso) return 'never';
  const then = Date.parse(iso);
  if (Number.isNaN(then)) return iso;
  const seconds = Math.max(0, Math.round((now - then) / 1000));
  if (seconds < 60) return 'just now';
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `${minutes} min ago`;
  const hours = Math.round(minutes / 60);
  if (hours < 48) return `${hours} h ago`;
  return new Date(then).toLocaleString();
}

function trim(n: number): string {
  return Number(n.toFixed(n < 1 ? 3 : 2)).toString();
}

/** A tiny element builder: h('div', {class: 'x'}, child, 'text'). */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs?: Record<string, string | boolean | undefined> | null,
  ...children: Array<Node | string | null | undefined | false>
): HTMLElementTagNameMap[K];
export function h(tag: string, attrs?: Record<string, string | boolean | undefined> | null, ...children: Array<Node | string | null | undefined | false>): HTMLElement;
export function h(tag: string, attrs?: Record<string, string | boolean | undefined> | null, ...children: Array<Node | string | null | undefined | false>): HTMLElement {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs ?? {})) {
    if (value === undefined || value === false) continue;
    el.setAttribute(key, value === true ? '' : value);
  }
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child);
  }
  return el;
}
