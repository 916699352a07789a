/**
 * Reasoning effort and max output tokens, offered only for what the chosen model supports: the
 * efforts come from its catalogue entry (`supportedEfforts`, "default" shows `defaultEffort`),
 * the token limit from its `maxCompletionTokens`.
 */
import '@vscode-elements/elements/dist/vscode-label/index.js';
import '@vscode-elements/elements/dist/vscode-option/index.js';
import '@vscode-elements/elements/dist/vscode-single-select/index.js';
import '@vscode-elements/elements/dist/vscode-textfield/index.js';
import type { VscodeSingleSelect } from '@vscode-elements/elements/dist/vscode-single-select/vscode-single-select.js';
import type { VscodeTextfield } from '@vscode-elements/elements/dist/vscode-textfield/vscode-textfield.js';
import type { ModelInfo, ReasoningEffort } from '../../src/wire';
import { formatTokens, h } from '../common/format';
import { fieldError, numberOrNull, saveOnEnter, type PanelContext } from './panelContext';

const EFFORT_LABELS: Record<string, string> = {
  none: 'None: no reasoning',
  minimal: 'Minimal',
  low: 'Low',
  medium: 'Medium',
  high: 'High',
  xhigh: 'Extra high',
};

function effortLabel(effort: string): string {
  return EFFORT_LABELS[effort] ?? effort;
}

export function supportsMaxOutput(model: ModelInfo | undefined): boolean {
  // A model the catalogue does not list (a custom id) still takes max_tokens.
  if (!model) return true;
  return model.maxCompletionTokens !== null || model.supportedParameters.includes('max_tokens');
}

export interface ReasoningControls { element: HTMLElement; sync(): void }

export function reasoningControls(ctx: PanelContext): ReasoningControls {
  const effortSelect = h('vscode-single-select', { id: 'reasoningEffort' }) as unknown as VscodeSingleSelect;
  effortSelect.label = 'Reasoning effort';
  const effortHelp = h('p', { id: 'reasoningEffortHelp', class: 'help' });
  const effortGroup = h('div', { id: 'reasoningEffortGroup' },
    h('vscode-label', { for: 'reasoningEffort' }, 'Reasoning effort'), effortSelect, fieldError('reasoningEffort'), effortHelp);
  const noReasoning = h('p', { id: 'noReasoning', class: 'help', hidden: true });

  const maxOutput = h('vscode-textfield', { id: 'maxOutputTokens', type: 'number', min: '1', step: '1' }) as unknown as VscodeTextfield;
  maxOutput.label = 'Max output tokens';
  const maxOutputHelp = h('p', { id: 'maxOutputHelp', class: 'help' });
  const maxOutputGroup = h('div', { id: 'maxOutputGroup' },
    h('vscode-label', { for: 'maxOutputTokens' }, 'Max output tokens'), maxOutput, fieldError('maxOutputTokens'), maxOutputHelp);

  const element = h('section', { class: 'section', id: 'reasoningSection' },
    h('h2', null, 'Reasoning and Output'), effortGroup, noReasoning, maxOutputGroup);

  effortSelect.addEventListener('change', () => ctx.edit({ reasoningEffort: effortSelect.value as ReasoningEffort }));
  maxOutput.addEventListener('input', () => ctx.edit({ maxOutputTokens: numberOrNull(maxOutput.value) }));
  saveOnEnter(maxOutput, ctx);

  function syncEffort(model: ModelInfo | undefined, effort: ReasoningEffort): void {
    const reasons = model?.supportsReasoning === true;
    effortGroup.hidden = !reasons;
    noReasoning.hidden = reasons || !model;
    noReasoning.textContent = model && !reasons ? `${model.name} does not reason, so it has no reasoning effort to choose.` : '';
    if (!model || !reasons) return;
    const options = [
      { value: 'default', label: model.defaultEffort ? `Model default (${effortLabel(model.defaultEffort).toLowerCase()})` : 'Model default' },
      ...model.supportedEfforts.map((e) => ({ value: e, label: effortLabel(e) })),
    ];
    const unsupported = !options.some((o) => o.value === effort);
    // A stored effort this model lacks stays chosen (the server keeps it for models that take it).
    if (unsupported) options.push({ value: effort, label: `${effortLabel(effort)} (not offered by this model)` });
    const key = options.map((o) => `${o.value}=${o.label}`).join('|');
    if (effortSelect.dataset.key !== key) {
      effortSelect.dataset.key = key;
      effortSelect.replaceChildren(...options.map((o) => h('vscode-option', { value: o.value, selected: o.value === effort }, o.label)));
      // The select reads slotted options on slotchange; set the value again once it has.
      requestAnimationFrame(() => { if (effortSelect.value !== effort) effortSelect.value = effort; });
    }
    if (effortSelect.value !== effort) effortSelect.value = effort;
    if (unsupported) {
      effortHelp.textContent = `${model.name} does not offer this effort: its own default is used with it.`;
    } else if (model.supportedEfforts.length === 0) {
      effortHelp.textContent = `${model.name} reasons, but its catalogue entry lists no efforts to choose from.`;
    } else {
      effortHelp.textContent = model.reasoningMandatory
        ? `${model.name} always reasons; the effort sets how much.`
        : 'How much the model thinks before it answers: more effort costs more output tokens.';
    }
  }

  function syncMaxOutput(model: ModelInfo | undefined, tokens: number | null): void {
    maxOutputGroup.hidden = !supportsMaxOutput(model);
    const limit = model?.maxCompletionTokens ?? null;
    if (limit !== null) maxOutput.setAttribute('max', String(limit));
    else maxOutput.removeAttribute('max');
    maxOutput.placeholder = limit !== null ? `Model default (up to ${formatTokens(limit)})` : 'Model default';
    // Only a value from elsewhere replaces what is typed (a typed "12." must stay as typed).
    if (numberOrNull(maxOutput.value) !== tokens) maxOutput.value = tokens === null ? '' : String(tokens);
    maxOutputHelp.textContent = limit !== null
      ? `The most tokens an answer may have, 1 to ${limit.toLocaleString('en-US')} for ${model!.name}. Empty: the model's own limit.`
      : 'The most tokens an answer may have. Empty: the model\'s own limit.';
  }

  return {
    element,
    sync(): void {
      const eff = ctx.effective();
      if (!eff) return;
      const model = ctx.model();
      syncEffort(model, eff.reasoningEffort);
      syncMaxOutput(model, eff.maxOutputTokens);
    },
  };
}
