/**
 * The model picker: an editable ARIA 1.2 combobox with a listbox popup (the WAI-ARIA APG
 * "list autocomplete" pattern). What to list is the server's job: the text typed, the filters
 * and the sort go to `openrouter/models/list`, which ranks, filters and puts favourites first;
 * this module only shows the answer and moves through it. The answer comes a page at a time
 * (`limit`, `offset`; `total` counts every match): 5,000 models are ~4.9 MB of JSON, a page of
 * 100 is ~100 KB, so the list opens at once and the next page is fetched as the rows shown reach
 * the end of what is loaded (End fetches all the rest).
 *
 * The text box keeps DOM focus the whole time; the highlighted option is announced through
 * `aria-activedescendant`. Options hold no focusable content (nested interactive elements break
 * the listbox for screen readers), so the star in each row is a mouse shortcut and Alt+F is the
 * keyboard one; the model card has the same toggle as a real button.
 */
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-checkbox/index.js';
import type { VscodeButton } from '@vscode-elements/elements/dist/vscode-button/vscode-button.js';
import type { VscodeCheckbox } from '@vscode-elements/elements/dist/vscode-checkbox/vscode-checkbox.js';

import { request, RequestError } from '../common/host';
import { formatAge, formatPrice, formatTokens, h } from '../common/format';
import type { ModelInfo, ModelsList } from '../../src/wire';
import type { ModelsListParams } from '../../src/generated/openrouter.models.list.params';

/** Options rendered at first and added per step as the list is scrolled or walked. */
const RENDER_STEP = 50;
/** Models asked of the server per request as the list is scrolled. */
export const FETCH_PAGE = 100;
const PAGE = 10;
/** Typing waits this long for the next key before asking the server. */
const QUERY_DELAY_MS = 120;
/** `vendor/model`: text shaped like a model id is a custom id unless an option is chosen. */
const ID_SHAPED = /^[\w.~-]+\/\S+$/;

type Sort = NonNullable<ModelsListParams['sort']>;
const SORTS: Record<Sort, string> = {
  default: 'Best match',
  price: 'Lowest price',
  context: 'Largest context',
  newest: 'Newest',
};
const MIN_CONTEXTS: Array<[string, string]> = [
  ['any', 'Any context'], ['32000', '≥ 32K context'], ['128000', '≥ 128K context'],
  ['200000', '≥ 200K context'], ['1000000', '≥ 1M context'],
];
const MAX_PRICES: Array<[string, string]> = [
  ['any', 'Any input price'], ['0.5', 'Input ≤ $0.5 / 1M'], ['1', 'Input ≤ $1 / 1M'],
  ['3', 'Input ≤ $3 / 1M'], ['10', 'Input ≤ $10 / 1M'],
];
const FLAGS = [
  ['free', 'Free'], ['imageInput', 'Image input'], ['tools', 'Tools'], ['reasoning', 'Reasoning'], ['caching', 'Caching'],
] as const;
type Flag = typeof FLAGS[number][0];

/** What the picker needs from the panel around it. */
export interface PickerHost {
  /** The model the panel would save: the user's unsaved choice, else the stored one. */
  currentModelId(): string;
  favorites(): readonly string[];
  /** The user chose a model (an option, or a custom id typed in full). */
  choose(modelId: string): void;
  /** The catalogue was fetched again at the user's request. */
  refreshed(): void;
}

export interface ModelPicker {
  element: HTMLElement;
  /** Brings the picker in step with the panel (current model, favourites). */
  sync(): void;
  /** Lists again (after a change of base URL or provider). */
  reload(): void;
}

interface Query { text: string; flags: Record<Flag, boolean>; minContext: string; maxPrice: string; sort: Sort }

export function createModelPicker(host: PickerHost): ModelPicker {
  const input = h('input', {
    id: 'modelSearch', type: 'text', role: 'combobox', class: 'picker-input',
    'aria-autocomplete': 'list', 'aria-expanded': 'false', 'aria-controls': 'modelList',
    'aria-describedby': 'pickerHint', autocomplete: 'off', spellcheck: 'false',
    placeholder: 'Search models, or type a model id',
  });
  const label = h('label', { for: 'modelSearch', class: 'picker-label' }, 'Model');
  const toggle = h('button', {
    type: 'button', class: 'picker-toggle', tabindex: '-1', 'aria-label': 'Show models', 'aria-controls': 'modelList',
    'aria-expanded': 'false',
  }, h('span', { class: 'codicon codicon-chevron-down', 'aria-hidden': 'true' }));
  const listbox = h('ul', { id: 'modelList', role: 'listbox', 'aria-label': 'Models', class: 'picker-list', hidden: true });
  const hint = h('div', { id: 'pickerHint', class: 'picker-hint muted' },
    'Type to search; ↑/↓ to move, Enter to choose, Esc to close, Alt+F to star a model.');
  const status = h('div', { id: 'modelCount', class: 'muted', role: 'status' });
  const customRow = h('div', { id: 'pickerCustom', class: 'picker-custom', hidden: true });
  const error = h('div', { id: 'pickerError', class: 'error-box', role: 'alert', hidden: true });
  const fetched = h('span', { id: 'modelsFetched', class: 'muted' });
  const stale = h('div', { id: 'modelsStale', class: 'warning', role: 'status', hidden: true });
  const refresh = h('vscode-button', { id: 'refreshModels', icon: 'refresh', secondary: true, title: 'Fetch the model list again' },
    'Refresh') as unknown as VscodeButton;

  const flagBoxes = new Map<Flag, VscodeCheckbox>();
  for (const [flag, text] of FLAGS) {
    flagBoxes.set(flag, h('vscode-checkbox', { id: `filter-${flag}`, label: text }) as unknown as VscodeCheckbox);
  }
  const minContext = selectOf('filterMinContext', 'Minimum context', MIN_CONTEXTS);
  const maxPrice = selectOf('filterMaxPrice', 'Maximum input price', MAX_PRICES);
  const sort = selectOf('modelSort', 'Sort models', Object.entries(SORTS));

  const filters = h('div', { class: 'picker-filters', role: 'group', 'aria-label': 'Model filters' },
    h('div', { class: 'picker-flags' }, ...flagBoxes.values()),
    h('div', { class: 'picker-selects' }, minContext, maxPrice, sort));
  const box = h('div', { class: 'picker-box' }, input, toggle);
  const element = h('div', { class: 'picker', id: 'modelPicker' },
    filters,
    label,
    h('div', { class: 'picker-anchor' }, box, listbox),
    customRow,
    hint,
    h('div', { class: 'row muted picker-meta' }, status, fetched, refresh),
    stale,
    error);

  /** The first `models.length` of the `total` models the current list holds. */
  let models: ModelInfo[] = [];
  let total = 0;
  let result: ModelsList | undefined;
  /** The params of the list shown (its pages add `limit` and `offset`), and its `seq`. */
  let listed: ModelsListParams = {};
  let shownSeq = -1;
  /** The next page, while it is fetched. */
  let more: Promise<void> | undefined;
  /** An option the keyboard moved to beyond what is loaded: highlighted once fetched. */
  let target: number | undefined;
  let rendered = 0;
  let active = -1;
  let open = false;
  /** Whether the text is a search the user typed (else it shows the current model id). */
  let typed = false;
  let seq = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  /** The favourites the list shown (or asked for) puts first. */
  let listedFavorites = '';
  let shownModel = '';

  function query(): Query {
    const flags = {} as Record<Flag, boolean>;
    for (const [flag, boxEl] of flagBoxes) flags[flag] = boxEl.checked;
    return { text: typed ? input.value.trim() : '', flags, minContext: minContext.value, maxPrice: maxPrice.value, sort: sort.value as Sort };
  }

  function paramsOf(q: Query, refreshList: boolean): ModelsListParams {
    const params: ModelsListParams = { sort: q.sort, ...q.flags };
    if (q.text) params.query = q.text;
    if (q.minContext !== 'any') params.minContext = Number(q.minContext);
    if (q.maxPrice !== 'any') params.maxPromptPrice = Number(q.maxPrice);
    if (refreshList) params.refresh = true;
    return params;
  }

  async function load(refreshList = false): Promise<void> {
    const mine = ++seq;
    const q = query();
    const params = paramsOf(q, refreshList);
    status.textContent = 'Loading models…';
    refresh.disabled = true;
    more = undefined;
    target = undefined;
    listedFavorites = host.favorites().join('\n');
    try {
      const answer = await request('openrouter/models/list', { ...params, limit: FETCH_PAGE, offset: 0 });
      if (mine !== seq) return;
      result = answer;
      models = answer.models;
      total = answer.total;
      delete params.refresh;
      listed = params;
      shownSeq = mine;
      error.hidden = true;
      if (refreshList) host.refreshed();
    } catch (err) {
      if (mine !== seq) return;
      error.hidden = false;
      error.textContent = `Could not load the models: ${err instanceof RequestError ? err.display : String(err)}`;
      if (refreshList && result) result = { ...result, stale: true };
    } finally {
      if (mine === seq) refresh.disabled = false;
    }
    if (mine !== seq) return;
    rendered = 0;
    active = -1;
    render(q);
  }

  /**
   * Fetches the models after those loaded: a page, or up to index `upTo` when more is needed.
   * An answer for a list no longer shown is dropped.
   */
  function fetchMore(upTo = 0): Promise<void> {
    if (shownSeq !== seq || models.length >= total) return Promise.resolve();
    if (more) return more;
    const mine = seq;
    const offset = models.length;
    const limit = Math.max(FETCH_PAGE, upTo + 1 - offset);
    const fetching = request('openrouter/models/list', { ...listed, limit, offset }).then((answer) => {
      if (mine !== seq || offset !== models.length) return;
      models = models.concat(answer.models);
      total = answer.total;
      error.hidden = true;
    }, (err: unknown) => {
      if (mine !== seq) return;
      error.hidden = false;
      error.textContent = `Could not load more models: ${err instanceof RequestError ? err.display : String(err)}`;
    }).finally(() => { if (more === fetching) more = undefined; });
    more = fetching;
    return fetching;
  }

  /** Renders options up to index `upTo` (exclusive); at the end of what is loaded, fetches on. */
  function renderUpTo(upTo: number): void {
    const end = Math.min(models.length, upTo);
    if (end > rendered) {
      const current = host.currentModelId();
      const start = listbox.children.length;
      rendered = end;
      listbox.append(...models.slice(start, end).map((m, i) => optionOf(m, start + i, current)));
    }
    if (rendered >= models.length && models.length < total) {
      const mine = seq;
      void fetchMore().then(() => {
        // The user waiting at the bottom sees the new rows come in.
        if (mine === seq && open && nearBottom()) renderUpTo(rendered + RENDER_STEP);
      });
    }
  }

  function nearBottom(): boolean {
    return listbox.scrollTop + listbox.clientHeight >= listbox.scrollHeight - 40;
  }

  /** Highlights option `index`, fetching the models up to it first when they are not loaded. */
  function goTo(index: number): void {
    if (index < models.length) { target = undefined; highlight(index); return; }
    target = index;
    const mine = seq;
    const before = models.length;
    void fetchMore(index).then(() => {
      if (mine !== seq || target !== index) return;
      // Another page was on its way when the key was pressed: fetch on from there.
      if (index >= models.length && models.length > before && models.length < total) { goTo(index); return; }
      target = undefined;
      if (models.length > 0) highlight(Math.min(index, models.length - 1));
    });
  }

  function schedule(): void {
    clearTimeout(timer);
    timer = setTimeout(() => void load(), QUERY_DELAY_MS);
  }

  /** The first option is highlighted as results arrive, unless the text is a custom id. */
  function render(q: Query): void {
    const current = host.currentModelId();
    const custom = customId();
    if (open && active < 0 && models.length > 0 && !custom) {
      const at = q.text ? 0 : models.findIndex((m) => m.id === current);
      active = Math.max(0, at);
    }
    const shown = Math.min(models.length, Math.max(rendered, RENDER_STEP, active + 1));
    rendered = 0;
    listbox.replaceChildren();
    renderUpTo(shown);
    customRow.hidden = !(open && custom);
    customRow.textContent = custom ? `Enter uses “${custom}” as a custom model id; the server checks it when you save.` : '';
    status.textContent = countText(q);
    fetched.textContent = result ? `Fetched ${formatAge(result.fetchedAt)}` : '';
    stale.hidden = !result?.stale;
    stale.textContent = result?.stale
      ? 'This list may be out of date: the last fetch failed, so the last good list is shown. Try Refresh.'
      : '';
    shownModel = current;
    highlight(active);
  }

  function countText(q: Query): string {
    const n = total;
    const filtered = q.text || Object.values(q.flags).some(Boolean) || q.minContext !== 'any' || q.maxPrice !== 'any';
    if (n === 0) return filtered ? 'No model matches; change the search or the filters.' : 'No models listed.';
    return `${n.toLocaleString('en-US')} model${n === 1 ? '' : 's'}${filtered ? ' match' : ''}`;
  }

  function optionOf(m: ModelInfo, i: number, current: string): HTMLElement {
    const favorite = host.favorites().includes(m.id);
    const star = h('span', {
      class: `codicon codicon-${favorite ? 'star-full' : 'star-empty'} picker-star`, 'aria-hidden': 'true',
      title: favorite ? 'Remove from favourites (Alt+F)' : 'Add to favourites (Alt+F)',
    });
    star.addEventListener('mousedown', (event) => event.preventDefault());
    star.addEventListener('click', (event) => { event.stopPropagation(); void toggleFavorite(m.id); });
    const row = h('li', {
      id: `model-opt-${i}`, role: 'option', class: 'model-row', 'data-id': m.id,
      'aria-selected': m.id === current ? 'true' : 'false',
      // Only some options are in the page: the size and position say where this one is.
      'aria-setsize': String(total), 'aria-posinset': String(i + 1),
    },
    star,
    h('div', { class: 'model-text' },
      h('div', { class: 'model-name' }, m.name, favorite ? h('span', { class: 'sr-only' }, ' (favourite)') : null,
        m.isFree ? h('span', { class: 'badge' }, 'free') : null),
      h('div', { class: 'model-meta' },
        h('span', { class: 'model-id' }, m.id),
        h('span', null, `${formatTokens(m.contextLength)} ctx`),
        h('span', null, `${formatPrice(m.pricing.prompt)} in / ${formatPrice(m.pricing.completion)} out`))));
    // mousedown would move focus off the text box and close the popup before the click lands.
    row.addEventListener('mousedown', (event) => event.preventDefault());
    row.addEventListener('click', () => pick(m.id));
    return row;
  }

  function highlight(index: number): void {
    active = index;
    for (const el of listbox.querySelectorAll('.model-row.active')) el.classList.remove('active');
    if (index < 0 || !open) { input.removeAttribute('aria-activedescendant'); return; }
    if (index >= rendered) renderUpTo(index + RENDER_STEP);
    const row = document.getElementById(`model-opt-${index}`);
    if (!row) return;
    row.classList.add('active');
    input.setAttribute('aria-activedescendant', row.id);
    row.scrollIntoView({ block: 'nearest' });
  }

  function setOpen(value: boolean): void {
    open = value;
    listbox.hidden = !value;
    input.setAttribute('aria-expanded', String(value));
    toggle.setAttribute('aria-expanded', String(value));
    toggle.setAttribute('aria-label', value ? 'Hide models' : 'Show models');
    if (!value) { input.removeAttribute('aria-activedescendant'); customRow.hidden = true; }
  }

  function openList(): void {
    if (open) return;
    setOpen(true);
    active = -1;
    render(query());
  }

  /** Closes the popup and shows the current model again (Esc, Tab, a click elsewhere). */
  function closeAndRestore(): void {
    const hadSearch = typed;
    setOpen(false);
    typed = false;
    input.value = host.currentModelId();
    if (hadSearch) void load();
  }

  function pick(modelId: string): void {
    setOpen(false);
    typed = false;
    input.value = modelId;
    host.choose(modelId);
    void load();
  }

  /** The typed text as a custom id: id-shaped and not the id of a listed model. */
  function customId(): string | null {
    const text = typed ? input.value.trim() : '';
    if (!text) return null;
    if (models.some((m) => m.id === text)) return null;
    if (ID_SHAPED.test(text) || total === 0) return text;
    return null;
  }

  async function toggleFavorite(modelId: string): Promise<void> {
    const now = host.favorites();
    const next = now.includes(modelId) ? now.filter((id) => id !== modelId) : [...now, modelId];
    try {
      await request('openrouter/settings/update', { patch: { favoriteModels: next } });
      error.hidden = true;
    } catch (err) {
      error.hidden = false;
      error.textContent = `Favourites not saved: ${err instanceof RequestError ? err.display : String(err)}`;
    }
  }

  input.addEventListener('input', () => {
    typed = true;
    if (!open) setOpen(true);
    active = -1;
    schedule();
  });

  input.addEventListener('keydown', (event) => {
    // The whole list counts, loaded or not: moving past the loaded models fetches them.
    const n = total;
    const at = target ?? active;
    const move = (to: number): void => {
      event.preventDefault();
      if (!open) { openList(); return; }
      if (n > 0) goTo(Math.max(0, Math.min(n - 1, to)));
    };
    if (event.altKey && event.code === 'KeyF') {
      event.preventDefault();
      const target = open && active >= 0 ? models[active]?.id : host.currentModelId();
      if (target) void toggleFavorite(target);
      return;
    }
    switch (event.key) {
      case 'ArrowDown':
        if (event.altKey) { event.preventDefault(); openList(); return; }
        move(at + 1);
        return;
      case 'ArrowUp':
        if (event.altKey) { event.preventDefault(); if (open) closeAndRestore(); return; }
        move(at < 0 ? n - 1 : at - 1);
        return;
      case 'PageDown': move(at + PAGE); return;
      case 'PageUp': move(at - PAGE); return;
      case 'Home': if (open) move(0); return;
      case 'End': if (open) move(n - 1); return;
      case 'Enter': {
        if (!open) return;
        event.preventDefault();
        const chosen = active >= 0 ? models[active]?.id : customId();
        if (chosen) pick(chosen);
        return;
      }
      case 'Escape':
        if (open || typed) { event.preventDefault(); closeAndRestore(); }
        return;
      case 'Tab':
        if (open) closeAndRestore();
        return;
      default:
    }
  });

  input.addEventListener('click', () => openList());
  // A press on the list (its scroll bar too) must not take the focus from the text box.
  listbox.addEventListener('mousedown', (event) => event.preventDefault());
  toggle.addEventListener('mousedown', (event) => event.preventDefault());
  toggle.addEventListener('click', () => {
    if (open) closeAndRestore();
    else { input.focus(); openList(); }
  });
  // Focus leaving the widget closes it; the popup's rows keep focus in the text box.
  input.addEventListener('blur', () => { if (open) closeAndRestore(); });
  listbox.addEventListener('scroll', () => {
    if (nearBottom()) renderUpTo(rendered + RENDER_STEP);
  });
  for (const boxEl of flagBoxes.values()) boxEl.addEventListener('change', () => void load());
  for (const select of [minContext, maxPrice, sort]) select.addEventListener('change', () => void load());
  refresh.addEventListener('click', () => void load(true));
  void load();

  return {
    element,
    sync(): void {
      const current = host.currentModelId();
      if (!typed && !open && input.value !== current) input.value = current;
      const favorites = host.favorites().join('\n');
      // Favourites come first in the server's order, so a change lists again.
      if (favorites !== listedFavorites) { void load(); return; }
      if (current !== shownModel && result) render(query());
    },
    reload(): void { void load(); },
  };
}

/**
 * A native select: its name reaches assistive technology (a vscode-single-select keeps its
 * focusable face in a shadow root that the host's aria-label does not name).
 */
function selectOf(id: string, label: string, options: Array<[string, string]>): HTMLSelectElement {
  const select = h('select', { id, 'aria-label': label, class: 'picker-select' });
  select.append(...options.map(([value, text]) => h('option', { value }, text)));
  return select;
}
