/**
 * The card for the chosen model: what it is, what it can do, what it costs, and who serves it
 * (with a one-click provider pin). Everything shown is the server's catalogue entry and the
 * model's endpoints list; nothing here is computed beyond formatting.
 */
import { request, RequestError } from '../common/host';
import { formatPrice, formatTokens, h } from '../common/format';
import type { Endpoints, ModelInfo } from '../../src/wire';
import { providerTable } from './providerTable';

export interface CardHost {
  /** The model the panel would save. */
  currentModelId(): string;
  /** Its catalogue entry, when the catalogue lists it. */
  model(): ModelInfo | undefined;
  /** The provider pinned for it (the panel's routing.provider), or null. */
  pinnedProvider(): string | null;
  favorites(): readonly string[];
  /** Providers and pins mean something only when requests go to OpenRouter. */
  routesThroughOpenRouter(): boolean;
}

export interface ModelCard { element: HTMLElement; sync(): void }

export function createModelCard(host: CardHost): ModelCard {
  const header = h('div', { class: 'card-header' });
  const body = h('div', { class: 'card-body' });
  const providersTitle = h('h3', { id: 'providersTitle' }, 'Providers');
  const providers = h('div', { id: 'cardProviders' });
  const pinStatus = h('div', { id: 'pinStatus', class: 'muted', role: 'status' });
  const providersPart = h('div', { class: 'card-providers' }, providersTitle, providers, pinStatus);
  const element = h('section', { id: 'modelCard', class: 'model-card', 'aria-label': 'Chosen model' }, header, body, providersPart);

  let endpoints: Endpoints | undefined;
  let endpointsError: string | undefined;
  let loadingFor = '';
  let pinning = false;
  let shown = '';
  let shownProviders = '';

  async function loadEndpoints(modelId: string): Promise<void> {
    loadingFor = modelId;
    endpointsError = undefined;
    try {
      const answer = await request('openrouter/models/endpoints', { modelId });
      if (loadingFor !== modelId) return;
      endpoints = answer;
    } catch (err) {
      if (loadingFor !== modelId) return;
      endpoints = undefined;
      endpointsError = err instanceof RequestError ? err.display : String(err);
    }
    renderProviders(true);
  }

  async function pin(tag: string | null): Promise<void> {
    const modelId = host.currentModelId();
    pinning = true;
    renderProviders(true);
    try {
      // The pin belongs to the model it is chosen for, so the model goes with it.
      await request('openrouter/settings/update', { patch: { modelId, routing: { provider: tag } } });
      const name = endpoints?.providers.find((p) => p.tag === tag)?.providerName ?? tag;
      pinStatus.textContent = tag ? `${name} pinned for ${modelId}.` : `No provider pinned for ${modelId}.`;
    } catch (err) {
      pinStatus.textContent = `Not pinned: ${err instanceof RequestError ? err.display : String(err)}`;
    } finally {
      pinning = false;
      renderProviders(true);
    }
  }

  function renderHeader(model: ModelInfo | undefined, modelId: string): void {
    const favorite = host.favorites().includes(modelId);
    const star = h('button', {
      type: 'button', id: 'cardFavorite', class: 'card-star', 'aria-pressed': favorite ? 'true' : 'false',
      title: favorite ? 'Remove from favourites' : 'Add to favourites',
    }, h('span', { class: `codicon codicon-${favorite ? 'star-full' : 'star-empty'}`, 'aria-hidden': 'true' }), 'Favourite');
    star.addEventListener('click', () => {
      const now = host.favorites();
      const next = now.includes(modelId) ? now.filter((id) => id !== modelId) : [...now, modelId];
      void request('openrouter/settings/update', { patch: { favoriteModels: next } }).catch((err: unknown) => {
        pinStatus.textContent = `Favourites not saved: ${err instanceof RequestError ? err.display : String(err)}`;
      });
    });
    const hadFocus = document.activeElement?.id === 'cardFavorite';
    header.replaceChildren(
      h('div', { class: 'model-current', id: 'modelCurrent' },
        h('strong', null, model?.name ?? modelId ?? '(none)'), ' ', h('span', { class: 'model-id' }, modelId)),
      modelId ? star : '');
    if (hadFocus) star.focus();
  }

  function renderBody(model: ModelInfo | undefined, modelId: string): void {
    if (!model) {
      body.replaceChildren(h('p', { class: 'muted' }, modelId
        ? `${modelId} is not in the model list, so there is nothing to show about it yet.`
        : 'Choose a model above.'));
      return;
    }
    const p = model.pricing;
    const facts: Array<[string, string | Node]> = [
      ['Context', `${formatTokens(model.contextLength)} tokens`],
      ['Max output', model.maxCompletionTokens === null ? 'not stated' : `${formatTokens(model.maxCompletionTokens)} tokens`],
      ['Input', model.inputModalities.join(', ') || 'text'],
      ['Capabilities', capabilities(model)],
    ];
    const prices: Array<[string, string, number | null]> = [
      ['price-prompt', 'Prompt', p.prompt], ['price-completion', 'Completion', p.completion],
      ['price-cache-read', 'Cache read', p.cacheRead], ['price-cache-write', 'Cache write', p.cacheWrite],
    ];
    body.replaceChildren(...([
      model.description ? h('p', { class: 'card-description', id: 'cardDescription' }, plainText(model.description)) : null,
      h('dl', { class: 'card-facts' }, ...facts.flatMap(([k, v]) => [h('dt', null, k), h('dd', null, v)])),
      h('h3', null, 'Prices per million tokens'),
      h('dl', { class: 'card-facts card-prices', id: 'cardPrices' },
        ...prices.flatMap(([id, k, v]) => [h('dt', null, k), h('dd', { 'data-price': id }, formatPrice(v))])),
      model.variablePricing || model.pricingNote
        ? h('p', { class: 'card-note', id: 'cardPriceNote' }, model.pricingNote ?? 'The price depends on the model this router picks for each request.')
        : null,
    ] as Array<Node | null>).filter((n): n is Node => n !== null));
  }

  function renderProviders(force = false): void {
    const modelId = host.currentModelId();
    providersPart.hidden = !host.routesThroughOpenRouter() || !modelId;
    if (providersPart.hidden) return;
    if (!force && loadingFor !== modelId) void loadEndpoints(modelId);
    const pinned = host.pinnedProvider();
    // Rebuilt only when something in it changed, so a focused Pin button keeps its focus.
    const key = [modelId, pinned, pinning, endpointsError, endpoints?.modelId, endpoints?.providers.length].join('|');
    if (key === shownProviders && endpoints) return;
    shownProviders = key;
    const focusedTag = (document.activeElement as HTMLElement | null)?.closest?.('.pin-button')?.getAttribute('data-tag');
    if (endpointsError && loadingFor === modelId) {
      providers.replaceChildren(h('div', { class: 'error-box' }, `Could not load this model's providers: ${endpointsError}`));
    } else if (!endpoints || endpoints.modelId !== modelId) {
      providers.replaceChildren(h('p', { class: 'muted' }, 'Loading this model\'s providers…'));
    } else if (endpoints.providers.length === 0) {
      providers.replaceChildren(h('p', { class: 'muted' }, 'OpenRouter lists no provider for this model right now.'));
    } else {
      providers.replaceChildren(providerTable({
        modelId, providers: endpoints.providers, pinned, busy: pinning, onPin: (tag) => void pin(tag),
      }), h('p', { class: 'muted help' }, pinned
        ? `Requests for this model go to ${pinned} only; pin another row, or press Pinned to unpin.`
        : 'No provider pinned: OpenRouter picks one per request. Pinning one makes requests fail while it is down.'));
      if (focusedTag) providers.querySelector<HTMLElement>(`.pin-button[data-tag="${CSS.escape(focusedTag)}"]`)?.focus();
    }
  }

  return {
    element,
    sync(): void {
      const modelId = host.currentModelId();
      const model = host.model();
      const key = [modelId, model ? 'known' : 'unknown', host.favorites().includes(modelId)].join('|');
      if (key !== shown) {
        // A pin's confirmation is about the model it was made for.
        if (shown.split('|')[0] !== modelId) pinStatus.textContent = '';
        shown = key;
        renderHeader(model, modelId);
        renderBody(model, modelId);
      }
      renderProviders();
    },
  };
}

function capabilities(model: ModelInfo): string {
  const parts: string[] = [];
  parts.push(model.supportsImages ? 'image input' : 'no image input');
  parts.push(model.supportsTools ? 'tools' : 'no tools');
  parts.push(model.supportsReasoning ? reasoningText(model) : 'no reasoning');
  parts.push(model.supportsPromptCaching ? 'prompt caching' : 'no prompt caching');
  return parts.join(' · ');
}

function reasoningText(model: ModelInfo): string {
  const details: string[] = [];
  if (model.supportedEfforts.length > 0) details.push(`efforts: ${model.supportedEfforts.join(', ')}`);
  if (model.defaultEffort) details.push(`default ${model.defaultEffort}`);
  if (model.reasoningMandatory) details.push('always on');
  return details.length > 0 ? `reasoning (${details.join('; ')})` : 'reasoning';
}

/** Catalogue descriptions are Markdown; links (often relative to openrouter.ai) keep their text. */
export function plainText(markdown: string): string {
  return markdown.replace(/\[([^\]]+)\]\([^)]*\)/g, '$1');
}
