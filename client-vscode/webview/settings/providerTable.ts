/**
 * The providers that serve one model, from `openrouter/models/endpoints`, as a table with a
 * one-click Pin per row. Pinning is the panel's own path: `routing.provider` in a settings update,
 * which the server keeps per model (`providerPins`).
 */
import { formatPrice, formatTokens, h } from '../common/format';
import type { ProviderEndpoint } from '../../src/wire';

export interface ProviderTableOptions {
  modelId: string;
  providers: readonly ProviderEndpoint[];
  /** The provider pinned for this model, or null. */
  pinned: string | null;
  /** Pin `tag`, or unpin with null. */
  onPin(tag: string | null): void;
  busy: boolean;
}

const COLUMNS = ['Provider', 'Input / output price', 'Context', 'Max output', 'Quantization', 'Uptime (1 day)', 'Latency', 'Throughput', 'Pin'];

/** A table inside a focusable region that scrolls sideways when the panel is narrower than it. */
export function providerTable(options: ProviderTableOptions): HTMLElement {
  const { modelId, providers, pinned, onPin, busy } = options;
  const head = h('tr', null, ...COLUMNS.map((c) => h('th', { scope: 'col' }, c)));
  const rows = providers.map((p) => {
    const isPinned = p.tag === pinned;
    const name = p.providerName || p.name;
    const button = h('button', {
      type: 'button', class: `pin-button${isPinned ? ' pinned' : ''}`, 'data-tag': p.tag,
      'aria-pressed': isPinned ? 'true' : 'false', 'aria-label': `${isPinned ? 'Unpin' : 'Pin'} ${name}`,
    }, h('span', { class: `codicon codicon-${isPinned ? 'pinned' : 'pin'}`, 'aria-hidden': 'true' }), isPinned ? 'Pinned' : 'Pin');
    // Not disabled while a pin is saved: a disabled button drops the keyboard focus.
    button.addEventListener('click', () => { if (!busy) onPin(isPinned ? null : p.tag); });
    return h('tr', { class: `provider-row${isPinned ? ' pinned' : ''}`, 'data-tag': p.tag },
      h('th', { scope: 'row' }, name, p.tag !== name.toLowerCase() ? h('div', { class: 'model-id' }, p.tag) : null),
      h('td', null, `${formatPrice(p.pricing.prompt)} / ${formatPrice(p.pricing.completion)}`),
      h('td', null, formatTokens(p.contextLength)),
      h('td', null, formatTokens(p.maxCompletionTokens)),
      h('td', null, p.quantization && p.quantization !== 'unknown' ? p.quantization : '—'),
      h('td', null, formatPercent(p.uptimeLast1d ?? p.uptimeLast30m)),
      h('td', null, formatLatency(p.latencyP50)),
      h('td', null, p.throughputP50 === null ? '—' : `${Math.round(p.throughputP50)} tok/s`),
      h('td', null, button));
  });
  const table = h('table', { class: 'provider-table', id: 'providerTable', 'aria-busy': busy ? 'true' : 'false' },
    h('caption', { class: 'sr-only' }, `Providers of ${modelId}; prices in USD per million tokens`),
    h('thead', null, head), h('tbody', null, ...rows));
  return h('div', { class: 'table-scroll', role: 'region', 'aria-label': `Providers of ${modelId}`, tabindex: '0' }, table);
}

function formatPercent(value: number | null): string {
  if (value === null) return '—';
  return `${Number(value.toFixed(value >= 99.95 ? 0 : 1))}%`;
}

/** Time to first token: the endpoints list gives milliseconds (the OpenAPI spec's PercentileStats). */
export function formatLatency(value: number | null): string {
  if (value === null) return '—';
  return value >= 1000 ? `${Number((value / 1000).toFixed(2))} s` : `${Math.round(value)} ms`;
}
