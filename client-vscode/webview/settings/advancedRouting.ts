/**
 * The collapsed "Advanced routing" section: model variant, fallback models, maximum price,
 * quantizations, ignored providers and preferred throughput / latency. A native <details>, so it
 * opens from the keyboard and says whether it is expanded without any script of ours.
 */
import '@vscode-elements/elements/dist/vscode-checkbox/index.js';
import '@vscode-elements/elements/dist/vscode-label/index.js';
import '@vscode-elements/elements/dist/vscode-option/index.js';
import '@vscode-elements/elements/dist/vscode-single-select/index.js';
import '@vscode-elements/elements/dist/vscode-textfield/index.js';
import type { VscodeCheckbox } from '@vscode-elements/elements/dist/vscode-checkbox/vscode-checkbox.js';
import type { VscodeSingleSelect } from '@vscode-elements/elements/dist/vscode-single-select/vscode-single-select.js';
import type { VscodeTextfield } from '@vscode-elements/elements/dist/vscode-textfield/vscode-textfield.js';
import type { ModelVariant, Quantization, Routing, SettingsDocument } from '../../src/wire';
import { h } from '../common/format';
import { fieldError, numberOrNull, sameJson, saveOnEnter, type PanelContext } from './panelContext';

const VARIANT_LABELS: Record<ModelVariant | '', string> = {
  '': 'No variant',
  nitro: 'Nitro: the fastest providers first',
  floor: 'Floor: the cheapest providers first',
  exacto: 'Exacto: providers with the best tool-calling quality',
  online: 'Online: web search results added to the prompt',
};
/** The official OpenAPI `Quantization` enum, in order of precision. */
const QUANTIZATIONS: Quantization[] = ['int4', 'int8', 'fp4', 'mxfp4', 'nvfp4', 'fp6', 'fp8', 'mxfp8', 'fp16', 'bf16', 'fp32', 'unknown'];
const FALLBACK_SLOTS = 3;

function listOf(text: string): string[] {
  return text.split(/[\s,]+/).map((s) => s.trim()).filter(Boolean);
}

function textfield(id: string, label: string, attrs: Record<string, string> = {}): VscodeTextfield {
  const field = h('vscode-textfield', { id, ...attrs }) as unknown as VscodeTextfield;
  // The inner input's aria-label: a property only (vscode-label sets it on the field it is `for`).
  field.label = label;
  return field;
}

export interface AdvancedRouting { element: HTMLElement; sync(): void }

export function advancedRouting(ctx: PanelContext): AdvancedRouting {
  const variant = h('vscode-single-select', { id: 'modelVariant' }) as unknown as VscodeSingleSelect;
  variant.label = 'Model variant';
  /**
   * The select reads its options' labels when they are rendered, which they are not inside a
   * closed <details>: they are given again each time the section opens.
   */
  const fillVariants = (): void => {
    const current = ctx.effective()?.modelVariant ?? '';
    variant.replaceChildren(...Object.entries(VARIANT_LABELS).map(([value, label]) =>
      h('vscode-option', { value, selected: value === current }, label)));
    requestAnimationFrame(() => { if (variant.value !== current) variant.value = current; });
  };
  fillVariants();

  const fallbacks = Array.from({ length: FALLBACK_SLOTS }, (_, i) =>
    textfield(`fallbackModel${i}`, `Fallback model ${i + 1}`, { placeholder: i === 0 ? 'e.g. openai/gpt-4o-mini' : '' }));
  const maxPrompt = textfield('maxPricePrompt', 'Maximum prompt price, USD per million tokens', { type: 'number', min: '0', step: 'any', placeholder: 'No limit' });
  const maxCompletion = textfield('maxPriceCompletion', 'Maximum completion price, USD per million tokens', { type: 'number', min: '0', step: 'any', placeholder: 'No limit' });
  const quantBoxes = QUANTIZATIONS.map((q) => h('vscode-checkbox', { id: `quant-${q}`, label: q, 'data-value': q }) as unknown as VscodeCheckbox);
  const ignore = textfield('ignoreProviders', 'Providers never to use', { placeholder: 'Provider tags, e.g. deepinfra, together' });
  const throughput = textfield('preferredMinThroughput', 'Preferred minimum throughput, tokens per second', { type: 'number', min: '0', step: 'any', placeholder: 'No preference' });
  const latency = textfield('preferredMaxLatency', 'Preferred maximum latency, seconds', { type: 'number', min: '0', step: 'any', placeholder: 'No preference' });
  const summaryCount = h('span', { id: 'advancedRoutingCount', class: 'muted' });

  const details = h('details', { id: 'advancedRouting' },
    h('summary', null, h('h2', { class: 'summary-title' }, 'Advanced routing'), ' ', summaryCount),
    h('vscode-label', { for: 'modelVariant' }, 'Model variant'), variant, fieldError('modelVariant'),
    h('p', { class: 'help' }, 'A suffix on the model id that changes how OpenRouter picks a provider or what the model can do.'),
    h('vscode-label', { for: 'fallbackModel0' }, 'Fallback models'),
    h('div', { class: 'stack' }, ...fallbacks), fieldError('fallbackModels'),
    h('p', { class: 'help' }, 'Tried in order when the model is unavailable or refuses the request (at most three).'),
    h('vscode-label', { for: 'maxPricePrompt' }, 'Maximum price, USD per million tokens'),
    h('div', { class: 'pair' },
      h('div', null, h('span', { class: 'sub-label' }, 'Prompt'), maxPrompt, fieldError('routing.maxPrice.prompt')),
      h('div', null, h('span', { class: 'sub-label' }, 'Completion'), maxCompletion, fieldError('routing.maxPrice.completion'))),
    h('p', { class: 'help' }, 'Providers above these prices are not used; the request fails rather than cost more.'),
    h('fieldset', { class: 'quantizations', id: 'quantizations' },
      h('legend', null, 'Quantizations'),
      h('div', { class: 'checkbox-grid' }, ...quantBoxes)),
    fieldError('routing.quantizations'),
    h('p', { class: 'help' }, 'Only providers serving the model at one of these precisions. None ticked: any.'),
    h('vscode-label', { for: 'ignoreProviders' }, 'Providers never to use'), ignore, fieldError('routing.ignore'),
    h('vscode-label', { for: 'preferredMinThroughput' }, 'Preferred minimum throughput (tokens per second)'), throughput,
    fieldError('routing.preferredMinThroughput'),
    h('vscode-label', { for: 'preferredMaxLatency' }, 'Preferred maximum latency (seconds to the first token)'), latency,
    fieldError('routing.preferredMaxLatency'),
    h('p', { class: 'help' }, 'Providers slower than these are tried last, not excluded.'),
  );
  const element = h('section', { class: 'section', id: 'advancedRoutingSection' }, details);
  details.addEventListener('toggle', () => { if (details.open) fillVariants(); });

  const routing = (): Routing | undefined => ctx.effective()?.routing;
  const editRouting = (change: Partial<Routing>): void => ctx.edit({ routing: change });

  variant.addEventListener('change', () => ctx.edit({ modelVariant: (variant.value || null) as ModelVariant | null }));
  for (const field of fallbacks) {
    field.addEventListener('input', () => ctx.edit({ fallbackModels: fallbacks.map((f) => f.value.trim()).filter(Boolean) }));
  }
  const editPrice = (): void => editRouting({ maxPrice: { prompt: numberOrNull(maxPrompt.value), completion: numberOrNull(maxCompletion.value) } });
  maxPrompt.addEventListener('input', editPrice);
  maxCompletion.addEventListener('input', editPrice);
  for (const box of quantBoxes) {
    box.addEventListener('change', () => editRouting({ quantizations: quantBoxes.filter((b) => b.checked).map((b) => b.dataset.value as Quantization) }));
  }
  ignore.addEventListener('input', () => editRouting({ ignore: listOf(ignore.value) }));
  throughput.addEventListener('input', () => editRouting({ preferredMinThroughput: numberOrNull(throughput.value) }));
  latency.addEventListener('input', () => editRouting({ preferredMaxLatency: numberOrNull(latency.value) }));
  for (const field of [...fallbacks, maxPrompt, maxCompletion, ignore, throughput, latency]) saveOnEnter(field, ctx);

  /** A field shows the settings' value unless what is typed already means that value. */
  function show<T>(field: VscodeTextfield, value: T, read: (text: string) => T, write: (value: T) => string): void {
    if (!sameJson(read(field.value), value)) field.value = write(value);
  }
  const num = (v: number | null): string => (v === null ? '' : String(v));

  function countSet(eff: SettingsDocument): number {
    const r = eff.routing;
    return [eff.modelVariant !== null, eff.fallbackModels.length > 0, r.maxPrice.prompt !== null || r.maxPrice.completion !== null,
      r.quantizations.length > 0, r.ignore.length > 0, r.preferredMinThroughput !== null, r.preferredMaxLatency !== null]
      .filter(Boolean).length;
  }

  return {
    element,
    sync(): void {
      const eff = ctx.effective();
      const r = routing();
      if (!eff || !r) return;
      const v = eff.modelVariant ?? '';
      if (variant.value !== v) variant.value = v;
      const typed = fallbacks.map((f) => f.value.trim()).filter(Boolean);
      if (!sameJson(typed, eff.fallbackModels)) fallbacks.forEach((f, i) => { f.value = eff.fallbackModels[i] ?? ''; });
      show(maxPrompt, r.maxPrice.prompt, numberOrNull, num);
      show(maxCompletion, r.maxPrice.completion, numberOrNull, num);
      for (const box of quantBoxes) {
        const on = r.quantizations.includes(box.dataset.value as Quantization);
        if (box.checked !== on) box.checked = on;
      }
      show(ignore, r.ignore, listOf, (list) => list.join(', '));
      show(throughput, r.preferredMinThroughput, numberOrNull, num);
      show(latency, r.preferredMaxLatency, numberOrNull, num);
      const count = countSet(eff);
      summaryCount.textContent = count > 0 ? `(${count} set)` : '';
    },
  };
}
