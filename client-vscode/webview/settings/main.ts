/**
 * The gear-icon settings panel. Its sections follow the user's source document, in order:
 * API provider, API key, model, custom base URL, transforms, provider routing, prompt caching.
 * Every value shown comes from the server; Save sends the edits back as one patch.
 */
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-checkbox/index.js';
import '@vscode-elements/elements/dist/vscode-divider/index.js';
import '@vscode-elements/elements/dist/vscode-form-helper/index.js';
import '@vscode-elements/elements/dist/vscode-icon/index.js';
import '@vscode-elements/elements/dist/vscode-label/index.js';
import '@vscode-elements/elements/dist/vscode-option/index.js';
import '@vscode-elements/elements/dist/vscode-progress-ring/index.js';
import '@vscode-elements/elements/dist/vscode-single-select/index.js';
import '@vscode-elements/elements/dist/vscode-textfield/index.js';
import type { VscodeCheckbox } from '@vscode-elements/elements/dist/vscode-checkbox/vscode-checkbox.js';
import type { VscodeSingleSelect } from '@vscode-elements/elements/dist/vscode-single-select/vscode-single-select.js';
import type { VscodeTextfield } from '@vscode-elements/elements/dist/vscode-textfield/vscode-textfield.js';
import type { VscodeButton } from '@vscode-elements/elements/dist/vscode-button/vscode-button.js';

import { command, getState, onHostMessage, onNotification, ready, reportDirty, request, RequestError, setState } from '../common/host';
import { formatPrice, formatTokens, h } from '../common/format';
import type {
  AccountInfo, DataPolicy, Endpoints, FieldError, ModelInfo, ProviderEndpoint, ProviderKind,
  Routing, SettingsView, SortOption,
} from '../../src/wire';
import { ACCOUNT_DID_CHANGE, SETTINGS_DID_CHANGE } from '../../src/wire';
import { creditsLine, keyStatusLine } from './accountStatus';
import { advancedRouting } from './advancedRouting';
import { sameJson, type PanelContext, type PartEdit } from './panelContext';
import { reasoningControls } from './reasoningControls';
import { signIn } from './signIn';
import { createModelPicker } from './modelPicker';
import { createModelCard } from './modelCard';

const KEYS_URL = 'https://openrouter.ai/keys';
const MODELS_URL = 'https://openrouter.ai/models';
const TRANSFORMS_URL = 'https://openrouter.ai/docs/features/message-transforms';
const CACHING_URL = 'https://openrouter.ai/docs/features/prompt-caching';

const SORT_LABELS: Record<SortOption, string> = {
  default: 'Default provider sort: use the setting in your OpenRouter account',
  price: 'Prefer providers with lower price',
  throughput: 'Prefer providers with higher throughput (i.e. more tokens per second)',
  latency: 'Prefer providers with lower latency (i.e. shorter time to first token)',
};
const PROVIDER_WARNING =
  'A specific provider is not recommended: it will result in errors when the provider faces downtime or enforces rate limits.';

const DATA_POLICY_LABELS: Record<DataPolicy, string> = {
  default: 'No data policy set',
  allow: 'Allow prompt training',
  deny: 'Deny prompt training',
  zdr: 'Zero data retention',
};
const DATA_POLICY_HELP: Record<DataPolicy, string> = {
  default: 'No data policy set: use the settings in your OpenRouter account.',
  allow: 'Allow prompt training: providers that may train on your prompts or completions are allowed. Free models generally require this option to be enabled.',
  deny: 'Deny prompt training: providers that may train on your prompts or completions are not allowed.',
  zdr: 'Zero data retention: only providers with a strict zero data retention policy are allowed. This option is not recommended, as it will disable several popular providers, such as Anthropic and OpenAI.',
};

/** Unsaved edits: only the fields the user changed, laid over the server's view. */
interface Edits extends Omit<PartEdit, 'routing'> {
  provider?: ProviderKind;
  modelId?: string;
  useCustomBaseUrl?: boolean;
  customBaseUrl?: string;
  middleOutTransform?: boolean;
  promptCaching?: boolean;
  routing?: Partial<Routing>;
}
interface SavedState { edits: Edits }

const state = {
  view: undefined as SettingsView | undefined,
  edits: getState<SavedState>()?.edits ?? ({} as Edits),
  /** The chosen model's catalogue entry (undefined: the catalogue does not list the id). */
  chosen: undefined as { modelId: string; model: ModelInfo | undefined } | undefined,
  endpoints: undefined as Endpoints | undefined,
  endpointsError: undefined as string | undefined,
  account: undefined as AccountInfo | undefined,
  accountError: undefined as string | undefined,
  fieldErrors: [] as FieldError[],
  saving: false,
  status: '' as string,
};

/** The settings as they would be after Save. */
function effective(): Omit<SettingsView, 'apiKey'> | undefined {
  const view = state.view;
  if (!view) return undefined;
  const { routing, ...rest } = state.edits;
  return { ...view, ...rest, routing: { ...view.routing, ...routing } };
}

function persist(): void {
  setState<SavedState>({ edits: state.edits });
}

function edit(change: Edits): void {
  const routing = change.routing ? { ...state.edits.routing, ...change.routing } : state.edits.routing;
  state.edits = { ...state.edits, ...change, ...(routing ? { routing } : {}) };
  pruneEdits();
  persist();
  sync();
}

/** Drop edits equal to the server's value, so "unsaved" means something. */
function pruneEdits(): void {
  const view = state.view;
  if (!view) return;
  const e = state.edits as Record<string, unknown>;
  for (const key of Object.keys(e)) {
    if (key === 'routing') continue;
    if (sameJson(e[key], (view as unknown as Record<string, unknown>)[key])) delete e[key];
  }
  if (state.edits.routing) {
    const r = state.edits.routing as Record<string, unknown>;
    for (const key of Object.keys(r)) {
      if (sameJson(r[key], (view.routing as unknown as Record<string, unknown>)[key])) delete r[key];
    }
    if (Object.keys(r).length === 0) delete state.edits.routing;
  }
}

function isDirty(): boolean {
  return Object.keys(state.edits).length > 0 || apiKeyField.value.length > 0;
}

// ---------------------------------------------------------------------------------------------
// Building the page (once); sync() then keeps it in step with the state.

function section(title: string, ...children: Array<Node | null>): HTMLElement {
  return h('section', { class: 'section' }, h('h2', null, title), ...children);
}

function fieldError(path: string): HTMLElement {
  return h('div', { class: 'field-error', 'data-path': path, role: 'alert', hidden: true });
}

function helper(text: string | Node, id?: string): HTMLElement {
  const el = h('vscode-form-helper', id ? { id } : null);
  el.append(h('p', null, text));
  return el;
}

function link(text: string, url: string, id?: string): HTMLAnchorElement {
  const a = h('a', { href: url, id, class: 'link' }, text);
  a.addEventListener('click', (event) => {
    event.preventDefault();
    command('openExternal', url);
  });
  return a;
}

function checkbox(id: string, label: string): VscodeCheckbox {
  const box = h('vscode-checkbox', { id, label }) as unknown as VscodeCheckbox;
  return box;
}

const app = document.getElementById('app')!;

const providerSelect = h('vscode-single-select', { id: 'provider', 'aria-label': 'API Provider' }) as unknown as VscodeSingleSelect;
providerSelect.label = 'API Provider'; // the inner combobox's name (a property, not an attribute)
providerSelect.append(
  h('vscode-option', { value: 'openrouter' }, 'OpenRouter'),
  h('vscode-option', { value: 'openai-compatible' }, 'OpenAI Compatible'),
);

const apiKeyField = h('vscode-textfield', { id: 'apiKey', type: 'password', placeholder: 'sk-or-v1-…', 'aria-label': 'OpenRouter API Key' }) as unknown as VscodeTextfield;
const apiKeyStatus = h('span', { id: 'apiKeyStatus' });
const clearKeyButton = h('vscode-button', { id: 'clearApiKey', secondary: true }, 'Clear key') as unknown as VscodeButton;
const credits = h('div', { id: 'credits', class: 'muted' });

// The picker asks the server for ranked, filtered lists; the card shows the chosen model.
const modelPicker = createModelPicker({
  currentModelId: () => effective()?.modelId ?? '',
  favorites: () => state.view?.favoriteModels ?? [],
  choose: (modelId) => { edit({ modelId }); void loadEndpoints(); },
  refreshed: () => void loadChosenModel(true),
});
const modelCard = createModelCard({
  currentModelId: () => effective()?.modelId ?? '',
  model: () => selectedModel(),
  pinnedProvider: () => effective()?.routing.provider ?? null,
  favorites: () => state.view?.favoriteModels ?? [],
  routesThroughOpenRouter: () => effective()?.provider === 'openrouter',
});

const useCustomBaseUrl = checkbox('useCustomBaseUrl', 'Use custom base URL');
const customBaseUrl = h('vscode-textfield', { id: 'customBaseUrl', placeholder: 'https://openrouter.ai/api/v1', 'aria-label': 'Custom base URL' }) as unknown as VscodeTextfield;
customBaseUrl.label = 'Custom base URL';

const middleOut = checkbox('middleOutTransform', 'Compress prompts and message chains to the context size');

const sortSelect = h('vscode-single-select', { id: 'sort', 'aria-label': 'Provider sort' }) as unknown as VscodeSingleSelect;
const providerWarning = h('div', { id: 'providerWarning', class: 'warning', role: 'status', hidden: true },
  h('vscode-icon', { name: 'warning' }), ' ', PROVIDER_WARNING);
// The server's word on the stored pin (providerPin.message), shown right under the sort control.
const pinWarningText = h('span', { id: 'pinWarningText' });
const pinWarning = h('div', { id: 'pinWarning', class: 'warning pin-warning', role: 'status', hidden: true },
  h('vscode-icon', { name: 'warning', 'aria-hidden': 'true' }), pinWarningText);
const allowFallbacks = checkbox('allowFallbacks', 'Allow fallbacks to other providers when this one fails');
const endpointsNote = h('div', { id: 'endpointsNote', class: 'muted' });

const dataPolicySelect = h('vscode-single-select', { id: 'dataPolicy', 'aria-label': 'Data policy' }) as unknown as VscodeSingleSelect;
for (const policy of Object.keys(DATA_POLICY_LABELS) as DataPolicy[]) {
  dataPolicySelect.append(h('vscode-option', { value: policy }, DATA_POLICY_LABELS[policy]));
}
const dataPolicyHelp = h('p', { id: 'dataPolicyHelp', class: 'help' });

const promptCaching = checkbox('promptCaching', 'Use prompt caching');
const promptCachingHelp = h('p', { id: 'promptCachingHelp', class: 'help' });

const saveButton = h('vscode-button', { id: 'save', icon: 'save' }, 'Save') as unknown as VscodeButton;
const discardButton = h('vscode-button', { id: 'discard', secondary: true }, 'Discard changes') as unknown as VscodeButton;
const saveStatus = h('span', { id: 'saveStatus', role: 'status' });
const generalError = h('div', { id: 'generalError', class: 'error-box', role: 'alert', hidden: true });
const openRouterOnly: HTMLElement[] = [];

// The panel's parts in modules of their own (see panelContext.ts).
const panelContext: PanelContext = {
  effective,
  model: () => selectedModel(),
  edit: (change) => edit(change as Edits),
  save: () => void save(),
};
const reasoning = reasoningControls(panelContext);
const advanced = advancedRouting(panelContext);
const signInPart = signIn(() => void loadAccount());
const keyHeading = h('h2', null, 'OpenRouter API Key');
const getKeyLink = link('Get an API key', KEYS_URL, 'getKeyLink');
const getKeyLine = h('span', { id: 'getKeyLine' }, ' · ', getKeyLink);

function build(): void {
  app.replaceChildren();
  const routingSection = section('Provider Routing',
    h('p', { class: 'help' }, 'OpenRouter can route to many inference providers; choose how.'),
    h('vscode-label', { for: 'sort' }, 'Provider sort'), sortSelect, fieldError('routing.sort'), fieldError('routing.provider'),
    // After the field errors: each error's previous sibling is the field it marks invalid.
    pinWarning, endpointsNote, providerWarning, allowFallbacks, fieldError('routing.allowFallbacks'),
    h('vscode-label', { for: 'dataPolicy' }, 'Data policy'), dataPolicySelect, dataPolicyHelp, fieldError('routing.dataPolicy'),
  );
  routingSection.id = 'routingSection';
  const transformsSection = section('Transforms', middleOut,
    helper(h('span', null, 'Applies OpenRouter\'s middle-out transform to prompts larger than the model\'s context. ',
      link('About message transforms', TRANSFORMS_URL))),
    fieldError('middleOutTransform'));
  openRouterOnly.push(routingSection, transformsSection, reasoning.element, advanced.element);
  app.append(
    h('header', { class: 'header' },
      h('h1', null, h('vscode-icon', { name: 'gear' }), ' OpenRouter settings'),
      h('div', { class: 'actions' }, saveStatus, discardButton, saveButton)),
    generalError,
    section('API Provider', providerSelect, fieldError('provider')),
    h('section', { class: 'section', id: 'keySection' }, keyHeading,
      h('div', { class: 'row' }, apiKeyField, clearKeyButton, signInPart.button),
      fieldError('apiKey'),
      h('div', { class: 'key-line' }, apiKeyStatus, getKeyLine),
      signInPart.status,
      helper('The key is kept by the language server (OS keyring or a private file), never in VS Code settings.'),
      credits),
    section('Model',
      modelPicker.element,
      fieldError('modelId'),
      modelCard.element,
      helper(h('span', null, 'Pricing follows the underlying model, in USD per million tokens. ', link('OpenRouter models page', MODELS_URL)))),
    reasoning.element,
    section('Base URL',
      useCustomBaseUrl,
      customBaseUrl,
      fieldError('customBaseUrl'),
      helper('Leave this unchecked and empty for most users.')),
    transformsSection,
    routingSection,
    advanced.element,
    section('Prompt Caching', promptCaching, promptCachingHelp, fieldError('promptCaching'),
      helper(h('span', null, 'Some providers support prompt caching. ', link('Supported models', CACHING_URL)))),
  );
  app.removeAttribute('aria-busy');
}

// ---------------------------------------------------------------------------------------------
// Keeping the page in step with the state.

function selectedModel(): ModelInfo | undefined {
  const id = effective()?.modelId;
  const chosen = state.chosen;
  return chosen && chosen.modelId === id ? chosen.model : undefined;
}

function priceLine(p: { prompt: number | null; completion: number | null }): string {
  return `${formatPrice(p.prompt)} in / ${formatPrice(p.completion)} out per 1M tokens`;
}

function renderSortOptions(): void {
  const eff = effective();
  if (!eff) return;
  const providers: ProviderEndpoint[] = state.endpoints?.modelId === eff.modelId ? state.endpoints.providers : [];
  const wanted = [
    ...(Object.keys(SORT_LABELS) as SortOption[]).map((s) => ({ value: `sort:${s}`, label: SORT_LABELS[s] })),
    ...providers.map((p) => ({
      value: `provider:${p.tag}`,
      label: `Provider: ${p.providerName || p.name}${p.quantization && p.quantization !== 'unknown' ? ` (${p.quantization})` : ''} — ${priceLine(p.pricing)}, ${formatTokens(p.contextLength)} ctx`,
    })),
  ];
  if (eff.routing.provider && !providers.some((p) => p.tag === eff.routing.provider)) {
    wanted.push({ value: `provider:${eff.routing.provider}`, label: `Provider: ${eff.routing.provider}` });
  }
  const value = eff.routing.provider ? `provider:${eff.routing.provider}` : `sort:${eff.routing.sort}`;
  const key = wanted.map((w) => w.value + w.label).join('|');
  if (sortSelect.dataset.key !== key) {
    sortSelect.dataset.key = key;
    sortSelect.replaceChildren(...wanted.map((w) => h('vscode-option', { value: w.value, selected: w.value === value }, w.label)));
    // The select reads slotted options on slotchange; set the value again once it has.
    requestAnimationFrame(() => { setValue(sortSelect, sortValue()); });
  }
  setValue(sortSelect, value);
  if (state.endpointsError) endpointsNote.textContent = `Could not load this model's providers: ${state.endpointsError}`;
  else if (!state.endpoints || state.endpoints.modelId !== eff.modelId) endpointsNote.textContent = 'Loading this model\'s providers…';
  else endpointsNote.textContent = `${providers.length} provider${providers.length === 1 ? '' : 's'} serve ${eff.modelId}.`;
}

/**
 * The server's warning about the stored pin, or null. The server alone decides whether the model
 * serves the pin; the panel only hides the warning while an unsaved choice of model or provider
 * replaces the pin it is about (Save then brings the server's word on the new choice).
 */
function storedPinWarning(): string | null {
  const view = state.view;
  const eff = effective();
  if (!view || !eff) return null;
  const pin = view.providerPin;
  if (pin.state !== 'not_served' || !pin.message) return null;
  if (eff.modelId !== view.modelId || eff.routing.provider !== pin.provider) return null;
  return pin.message;
}

function renderPinWarning(): void {
  const message = storedPinWarning();
  pinWarningText.textContent = message ?? '';
  pinWarning.hidden = message === null;
  // Ties the warning to the select for assistive technology only while it is shown.
  if (message === null) sortSelect.removeAttribute('aria-describedby');
  else sortSelect.setAttribute('aria-describedby', pinWarning.id);
}

function sortValue(): string {
  const r = effective()?.routing;
  return r?.provider ? `provider:${r.provider}` : `sort:${r?.sort ?? 'default'}`;
}

function sync(): void {
  const view = state.view;
  const eff = effective();
  if (!view || !eff) return;

  setValue(providerSelect, eff.provider);
  syncProviderKind(eff.provider);

  const key = view.apiKey;
  const keyLine = keyStatusLine(key);
  apiKeyStatus.textContent = keyLine.text;
  apiKeyStatus.className = keyLine.className;
  apiKeyField.placeholder = key.isSet ? `${key.hint ?? ''} — type a new key to replace it` : eff.provider === 'openrouter' ? 'sk-or-v1-…' : 'API key';
  clearKeyButton.hidden = !key.isSet || key.source === 'env';
  if (!key.isSet || eff.provider !== 'openrouter') credits.textContent = '';
  else if (state.accountError) credits.textContent = `Credits: could not be read (${state.accountError})`;
  else if (state.account) credits.textContent = creditsLine(state.account);
  else credits.textContent = 'Credits: loading…';

  if (eff.modelId !== chosenFor) void loadChosenModel();
  const model = selectedModel();
  modelPicker.sync();
  modelCard.sync();

  setChecked(useCustomBaseUrl, eff.useCustomBaseUrl);
  if (customBaseUrl.value !== eff.customBaseUrl) customBaseUrl.value = eff.customBaseUrl;
  customBaseUrl.disabled = !eff.useCustomBaseUrl;

  setChecked(middleOut, eff.middleOutTransform);

  renderSortOptions();
  renderPinWarning();
  providerWarning.hidden = !eff.routing.provider;
  allowFallbacks.hidden = !eff.routing.provider;
  setChecked(allowFallbacks, eff.routing.allowFallbacks);
  setValue(dataPolicySelect, eff.routing.dataPolicy);
  dataPolicyHelp.textContent = DATA_POLICY_HELP[eff.routing.dataPolicy];

  setChecked(promptCaching, eff.promptCaching);
  promptCachingHelp.textContent = model
    ? model.supportsPromptCaching
      ? `${model.name} supports prompt caching${model.pricing.cacheRead !== null ? ` (cached input ${formatPrice(model.pricing.cacheRead)} per 1M tokens)` : ''}.`
      : `${model.name} does not advertise prompt caching; the setting has no effect with it.`
    : '';

  reasoning.sync();
  advanced.sync();
  renderErrors();
  const dirty = isDirty();
  reportDirtyIfChanged(dirty);
  saveButton.disabled = state.saving;
  discardButton.hidden = !dirty;
  document.body.classList.toggle('dirty', dirty);
  if (dirty && !state.saving && state.fieldErrors.length === 0) saveStatus.textContent = 'Unsaved changes';
  else saveStatus.textContent = state.status;
}

/**
 * What depends on the API provider: OpenRouter-only sections are greyed out and taken out of the
 * tab order and the accessibility tree (`inert`), and the key's labels stop saying "OpenRouter"
 * for an OpenAI-compatible server.
 */
function syncProviderKind(provider: ProviderKind): void {
  const openRouter = provider === 'openrouter';
  for (const el of openRouterOnly) {
    el.classList.toggle('disabled', !openRouter);
    el.inert = !openRouter;
    if (openRouter) el.removeAttribute('aria-disabled');
    else el.setAttribute('aria-disabled', 'true');
  }
  keyHeading.textContent = openRouter ? 'OpenRouter API Key' : 'API Key';
  apiKeyField.setAttribute('aria-label', openRouter ? 'OpenRouter API Key' : 'API key');
  apiKeyField.label = openRouter ? 'OpenRouter API Key' : 'API key';
  getKeyLine.hidden = !openRouter;
  signInPart.sync(provider);
}

let lastDirtyReport = '';
function reportDirtyIfChanged(dirty: boolean): void {
  const patch = dirty && Object.keys(state.edits).length > 0 ? patchOf(state.edits) : null;
  const keyTyped = apiKeyField.value.length > 0;
  const report = JSON.stringify([dirty, patch, keyTyped]);
  if (report === lastDirtyReport) return;
  lastDirtyReport = report;
  reportDirty(dirty, patch, keyTyped);
}

function renderErrors(): void {
  const known = new Set<string>();
  for (const el of document.querySelectorAll<HTMLElement>('.field-error')) {
    const path = el.dataset.path!;
    known.add(path);
    const messages = state.fieldErrors.filter((e) => normalizePath(e.path) === path).map((e) => e.message);
    el.hidden = messages.length === 0;
    el.textContent = messages.join(' ');
    const field = el.previousElementSibling;
    if (field && 'invalid' in field) (field as { invalid: boolean }).invalid = messages.length > 0;
  }
  const other = state.fieldErrors.filter((e) => !known.has(normalizePath(e.path)));
  generalError.hidden = other.length === 0;
  generalError.textContent = other.map((e) => `${e.path}: ${e.message}`).join('\n');
}

/** Server paths may be relative to the params ("patch.routing.sort") or JSON pointers. */
function normalizePath(path: string): string {
  // An item's error ("fallbackModels[1]") appears beside its list.
  let p = path.replace(/^\//, '').replace(/\//g, '.').replace(/\[\d+\]/g, '').replace(/\.\d+(?=\.|$)/g, '');
  p = p.replace(/^(params\.)?patch\./, '');
  if (p === 'useCustomBaseUrl') return 'customBaseUrl';
  return p;
}

function setValue(select: VscodeSingleSelect, value: string): void {
  if (select.value !== value) select.value = value;
}
function setChecked(box: VscodeCheckbox, checked: boolean): void {
  if (box.checked !== checked) box.checked = checked;
}

// ---------------------------------------------------------------------------------------------
// Talking to the server.

async function loadSettings(): Promise<void> {
  try {
    applyView(await request('openrouter/settings/get', {}));
  } catch (err) {
    state.status = `Could not read the settings: ${(err as Error).message}`;
    sync();
  }
}

function applyView(view: SettingsView): void {
  const previous = state.view;
  state.view = view;
  pruneEdits();
  persist();
  sync();
  if (!previous || previous.modelId !== view.modelId) void loadEndpoints();
  if (!previous || previous.apiKey.hint !== view.apiKey.hint || previous.apiKey.isSet !== view.apiKey.isSet
    || previous.customBaseUrl !== view.customBaseUrl || previous.useCustomBaseUrl !== view.useCustomBaseUrl) {
    void loadAccount();
  }
  if (previous && (previous.customBaseUrl !== view.customBaseUrl || previous.useCustomBaseUrl !== view.useCustomBaseUrl
    || previous.provider !== view.provider)) {
    void loadChosenModel(true);
    modelPicker.reload();
  }
}

let chosenFor = '';
/**
 * The chosen model's catalogue entry, asked by id (`ids`): the picker holds only the pages it
 * has shown. Asked again when the choice changes, the catalogue is refreshed or the base URL or
 * provider changes (`force`); a failure leaves the card without it until then.
 */
async function loadChosenModel(force = false): Promise<void> {
  const modelId = effective()?.modelId ?? '';
  if (!force && modelId === chosenFor) return;
  chosenFor = modelId;
  if (!modelId) { state.chosen = undefined; return; }
  let model: ModelInfo | undefined;
  try {
    model = (await request('openrouter/models/list', { ids: [modelId] })).models.find((m) => m.id === modelId);
  } catch {
    model = undefined; // a custom id too long to ask about, or the catalogue could not be read
  }
  if (chosenFor !== modelId) return;
  state.chosen = { modelId, model };
  sync();
}

let endpointsFor = '';
async function loadEndpoints(): Promise<void> {
  const eff = effective();
  if (!eff || eff.provider !== 'openrouter' || !eff.modelId) return;
  if (endpointsFor === eff.modelId) return;
  const modelId = eff.modelId;
  endpointsFor = modelId;
  state.endpointsError = undefined;
  try {
    const result = await request('openrouter/models/endpoints', { modelId });
    if (effective()?.modelId === modelId) state.endpoints = result;
    await recheckPin(modelId);
  } catch (err) {
    if (effective()?.modelId === modelId) state.endpointsError = err instanceof RequestError ? err.display : String(err);
    endpointsFor = '';
  }
  sync();
}

/**
 * The server checks a pin against the endpoints it has already fetched, so a view read before
 * them says "unchecked"; once this panel has had them fetched, the server can say more.
 */
async function recheckPin(modelId: string): Promise<void> {
  const view = state.view;
  if (!view || view.modelId !== modelId || view.providerPin.state !== 'unchecked') return;
  try {
    applyView(await request('openrouter/settings/get', {}));
  } catch {
    // The pin stays "unchecked" (no warning); the next view from the server says more.
  }
}

async function loadAccount(): Promise<void> {
  if (!state.view?.apiKey.isSet) { state.account = undefined; sync(); return; }
  try {
    state.account = await request('openrouter/account/get', {});
    state.accountError = undefined;
  } catch (err) {
    state.account = undefined;
    state.accountError = err instanceof RequestError ? err.display : String(err);
  }
  sync();
}

async function save(): Promise<void> {
  if (state.saving) return;
  state.saving = true;
  state.fieldErrors = [];
  state.status = 'Saving…';
  sync();
  try {
    const key = apiKeyField.value.trim();
    if (key) {
      try {
        await request('openrouter/apiKey/set', { apiKey: key });
        apiKeyField.value = '';
      } catch (err) {
        state.fieldErrors = fieldErrorsOf(err, 'apiKey');
        state.status = 'Not saved: see the errors below.';
        return;
      }
    }
    const patch = patchOf(state.edits);
    let view: SettingsView;
    if (Object.keys(patch).length > 0) {
      try {
        view = await request('openrouter/settings/update', { patch });
      } catch (err) {
        state.fieldErrors = fieldErrorsOf(err);
        state.status = 'Not saved: see the errors below.';
        return;
      }
      state.edits = {};
    } else {
      view = await request('openrouter/settings/get', {});
    }
    state.status = 'Saved';
    applyView(view);
  } catch (err) {
    state.status = `Not saved: ${(err as Error).message}`;
  } finally {
    state.saving = false;
    sync();
  }
}

function patchOf(edits: Edits): Record<string, unknown> {
  const patch: Record<string, unknown> = { ...edits };
  if (edits.routing) patch.routing = { ...edits.routing };
  return patch;
}

function fieldErrorsOf(err: unknown, fallbackPath = ''): FieldError[] {
  if (err instanceof RequestError) {
    const errors = err.fieldErrors;
    if (errors.length > 0) return errors;
    return [{ path: fallbackPath, message: err.display }];
  }
  return [{ path: fallbackPath, message: String(err) }];
}

// ---------------------------------------------------------------------------------------------
// Wiring.

function wire(): void {
  providerSelect.addEventListener('change', () => edit({ provider: providerSelect.value as ProviderKind }));
  apiKeyField.addEventListener('input', () => sync());
  apiKeyField.addEventListener('keydown', (e) => { if ((e as KeyboardEvent).key === 'Enter') void save(); });
  clearKeyButton.addEventListener('click', async () => {
    try {
      await request('openrouter/apiKey/clear', {});
      applyView(await request('openrouter/settings/get', {}));
    } catch (err) {
      state.fieldErrors = fieldErrorsOf(err, 'apiKey');
      sync();
    }
  });
  useCustomBaseUrl.addEventListener('change', () => edit({ useCustomBaseUrl: useCustomBaseUrl.checked }));
  customBaseUrl.addEventListener('input', () => edit({ customBaseUrl: customBaseUrl.value }));
  customBaseUrl.addEventListener('keydown', (e) => { if ((e as KeyboardEvent).key === 'Enter') void save(); });
  middleOut.addEventListener('change', () => edit({ middleOutTransform: middleOut.checked }));
  sortSelect.addEventListener('change', () => {
    const value = sortSelect.value;
    if (value.startsWith('provider:')) edit({ routing: { provider: value.slice('provider:'.length) } });
    else if (value.startsWith('sort:')) edit({ routing: { sort: value.slice('sort:'.length) as SortOption, provider: null } });
  });
  allowFallbacks.addEventListener('change', () => edit({ routing: { allowFallbacks: allowFallbacks.checked } }));
  dataPolicySelect.addEventListener('change', () => edit({ routing: { dataPolicy: dataPolicySelect.value as DataPolicy } }));
  promptCaching.addEventListener('change', () => edit({ promptCaching: promptCaching.checked }));
  saveButton.addEventListener('click', () => void save());
  discardButton.addEventListener('click', () => {
    state.edits = {};
    state.fieldErrors = [];
    apiKeyField.value = '';
    state.status = 'Changes discarded';
    persist();
    sync();
    void loadEndpoints();
  });
  onNotification(SETTINGS_DID_CHANGE, (params) => applyView(params as SettingsView));
  // A server that refreshes the balance after each chat says so (CONTRACT.md); the shown panel then refreshes it too.
  onNotification(ACCOUNT_DID_CHANGE, (params) => { state.account = params as AccountInfo; state.accountError = undefined; sync(); });
  onHostMessage((message) => { if (message.type === 'visible') void loadAccount(); });
}

build();
wire();
ready();
void loadSettings();
