/**
 * The model picker (an ARIA combobox) and the model card with its provider table, in headless
 * Chromium against the real language server and the real emulator: typing, arrows, Enter and
 * Esc; favourites that survive a reload; filters; a custom id; the card's prices; a one-click
 * provider pin that the next chat request carries; axe-core in the dark and light themes; and a
 * 170 px wide panel with nothing cut off.
 */
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import {
  ARTIFACTS, axeViolations, closeAll, launchBrowser, openWebview, REPO, screenshot, serveWebviews, startEmulator, startServer,
  TEST_KEY, type Emulator, type LanguageServer, type OpenedWebview, type Theme,
} from './harness';
import { savePanel } from './panelActions';
import type { ModelInfo, SettingsView } from '../../src/wire';

const TIMEOUT = 30000;
const GPT = 'openai/gpt-4o';
/** The picker's page (FETCH_PAGE in modelPicker.ts): the emulator's 337 models are four pages. */
const PAGE = 100;
let emulator: Emulator;
let server: LanguageServer;
let web: Awaited<ReturnType<typeof serveWebviews>>;
let browser: Browser;
let view: OpenedWebview;
let page: Page;
const others: OpenedWebview[] = [];

async function settings(): Promise<SettingsView> {
  return server.request('openrouter/settings/get', {});
}

const save = (): Promise<void> => savePanel(page);

async function listedIds(p: Page = page): Promise<string[]> {
  return p.locator('#modelList .model-row').evaluateAll((rows) => rows.map((r) => (r as HTMLElement).dataset.id!));
}

async function attr(selector: string, name: string, p: Page = page): Promise<string | null> {
  return p.locator(selector).getAttribute(name);
}

/** Types a search and waits until the server's answer for it is on screen. */
async function search(text: string, p: Page = page): Promise<string[]> {
  const input = p.locator('#modelSearch');
  await input.click();
  await input.fill('');
  await input.pressSequentially(text, { delay: 15 });
  const expected = (await server.request('openrouter/models/list', await listParams(p, text))).models.map((m) => m.id);
  await p.waitForFunction((first) => {
    const row = document.querySelector('#modelList .model-row');
    return first === undefined ? row === null : row?.getAttribute('data-id') === first;
  }, expected[0], { timeout: TIMEOUT });
  return expected;
}

/** The params the page's filters stand for, to ask the server the same question directly. */
async function listParams(p: Page, query: string): Promise<Record<string, unknown>> {
  const flags = await p.evaluate(() => Object.fromEntries(['free', 'imageInput', 'tools', 'reasoning', 'caching'].map((f) =>
    [f, (document.querySelector(`#filter-${f}`) as unknown as { checked: boolean }).checked])));
  return { query, ...flags };
}

/** The picker's and the card's elements that do not lie within the viewport's width. */
async function overflowing(p: Page): Promise<string[]> {
  return p.evaluate(() => {
    const width = document.documentElement.clientWidth;
    const bad: string[] = [];
    for (const el of Array.from(document.querySelectorAll('#modelPicker *, #modelCard *'))) {
      // The provider table scrolls inside its own focusable region; the region itself must fit.
      if (el.closest('.table-scroll') && !el.classList.contains('table-scroll')) continue;
      const box = el.getBoundingClientRect();
      if (box.width === 0 && box.height === 0) continue;
      if (box.right > width + 0.5 || box.left < -0.5) bad.push(`${el.tagName.toLowerCase()}#${el.id}.${el.className} ${box.left}..${box.right}`);
    }
    return bad;
  });
}

/** A fresh settings page whose models/list requests are recorded from the start (`listRequests`). */
async function openWatched(): Promise<OpenedWebview> {
  const watched = await openWebview(browser, web.origin, 'settings', server);
  others.push(watched);
  await watched.page.addInitScript(() => {
    const w = window as unknown as {
      __openrouterToHost(m: unknown): void; __lists: unknown[]; __holdOffset?: number; __release(): void;
    };
    const send = w.__openrouterToHost;
    w.__lists = [];
    // Answers to pages at `__holdOffset` are held back until `__release()` (an answer that comes late).
    const heldIds = new Set<number>();
    const held: unknown[] = [];
    w.__openrouterToHost = (m: unknown) => {
      const message = m as { type: string; id?: number; method?: string; params?: { offset?: number } };
      if (message.type === 'request' && message.method === 'openrouter/models/list') {
        w.__lists.push(message.params);
        if (w.__holdOffset !== undefined && message.params?.offset === w.__holdOffset) heldIds.add(message.id!);
      }
      send(m);
    };
    window.addEventListener('message', (event: MessageEvent<{ type?: string; id?: number }>) => {
      if (event.data?.type !== 'response' || !heldIds.has(event.data.id!)) return;
      heldIds.delete(event.data.id!);
      held.push(event.data);
      event.stopImmediatePropagation();
    }, { capture: true });
    w.__release = () => { w.__holdOffset = undefined; for (const m of held.splice(0)) window.postMessage(m, '*'); };
  });
  await watched.page.reload();
  return watched;
}

async function listRequests(p: Page): Promise<Array<Record<string, unknown>>> {
  return p.evaluate(() => (window as unknown as { __lists: Array<Record<string, unknown>> }).__lists);
}

function copyToDocs(file: string, name: string): void {
  const dir = join(REPO, 'docs', 'img');
  mkdirSync(dir, { recursive: true });
  copyFileSync(file, join(dir, name));
}

describe('model picker and model card (settings panel, real server and emulator)', { timeout: 300000 }, () => {
  before(async () => {
    emulator = await startEmulator();
    server = await startServer('server-model-picker', {}, {
      'settings.json': { modelId: GPT, useCustomBaseUrl: true, customBaseUrl: emulator.baseUrl },
    });
    await server.request('openrouter/apiKey/set', { apiKey: TEST_KEY });
    web = await serveWebviews();
    browser = await launchBrowser();
    view = await openWebview(browser, web.origin, 'settings', server);
    page = view.page;
    await page.locator('#modelCurrent', { hasText: GPT }).waitFor({ timeout: TIMEOUT });
    await page.locator('#modelCount', { hasText: /\d+ models/ }).waitFor({ timeout: TIMEOUT });
  });

  after(() => closeAll(...others, view, browser, web, server, emulator));

  test('the text box is a combobox that controls a collapsed listbox', async () => {
    const input = page.locator('#modelSearch');
    assert.equal(await attr('#modelSearch', 'role'), 'combobox');
    assert.equal(await attr('#modelSearch', 'aria-expanded'), 'false');
    assert.equal(await attr('#modelSearch', 'aria-controls'), 'modelList');
    assert.equal(await attr('#modelSearch', 'aria-autocomplete'), 'list');
    assert.equal(await attr('#modelList', 'role'), 'listbox');
    assert.equal(await page.locator('#modelList').isVisible(), false);
    assert.equal(await input.inputValue(), GPT);
    assert.equal(await page.getByRole('combobox', { name: 'Model', exact: true }).count(), 1);
  });

  test('typing "mini" lists the server\'s ranked matches; arrows move, Enter chooses, Save stores it', async () => {
    const expected = await search('mini');
    assert.equal(await attr('#modelSearch', 'aria-expanded'), 'true');
    const ids = await listedIds();
    assert.deepEqual(ids, expected.slice(0, ids.length));
    // Whole words and id segments rank before substrings: a "…-mini" model before any "gemini".
    const firstGemini = ids.findIndex((id) => /gemini/.test(id) && !/\bmini\b/.test(id.replace(/[/-]/g, ' ')));
    const firstMini = ids.findIndex((id) => /(^|[/\-. ])mini($|[-.: ])/.test(id));
    assert.ok(firstMini >= 0 && (firstGemini < 0 || firstMini < firstGemini), ids.slice(0, 12).join(', '));
    // Context sizes read as people say them: 262,144 tokens is "262K", never "262.14K".
    const models = (await server.request('openrouter/models/list', { query: 'mini' })).models;
    const big = models.find((m) => m.contextLength === 262144 && ids.includes(m.id));
    assert.ok(big, 'a listed model with a 262,144-token context');
    assert.match(await page.locator(`#modelList .model-row[data-id="${big.id}"]`).innerText(), /\b262K ctx/);
    for (const text of await page.locator('#modelList .model-meta').allInnerTexts()) assert.doesNotMatch(text, /\d\.\d\d[KM]/);
    // The first match is highlighted and announced through aria-activedescendant.
    assert.equal(await attr('#modelSearch', 'aria-activedescendant'), 'model-opt-0');
    await screenshot(page, 'picker-01-typed-mini', false);

    const input = page.locator('#modelSearch');
    await input.press('ArrowDown');
    assert.equal(await attr('#modelSearch', 'aria-activedescendant'), 'model-opt-1');
    await input.press('PageDown');
    assert.equal(await attr('#modelSearch', 'aria-activedescendant'), `model-opt-${Math.min(11, expected.length - 1)}`);
    await input.press('End');
    assert.equal(await attr('#modelSearch', 'aria-activedescendant'), `model-opt-${expected.length - 1}`);
    await input.press('PageUp');
    assert.equal(await attr('#modelSearch', 'aria-activedescendant'), `model-opt-${Math.max(0, expected.length - 11)}`);
    await input.press('Home');
    assert.equal(await attr('#modelSearch', 'aria-activedescendant'), 'model-opt-0');
    await input.press('ArrowDown');
    await input.press('ArrowDown');
    await input.press('ArrowUp');
    assert.equal(await page.locator('#model-opt-1').getAttribute('class'), 'model-row active');
    const chosen = expected[1]!;
    await input.press('Enter');
    assert.equal(await attr('#modelSearch', 'aria-expanded'), 'false');
    assert.equal(await attr('#modelSearch', 'aria-activedescendant'), null);
    assert.equal(await input.inputValue(), chosen);
    await page.locator('#modelCurrent', { hasText: chosen }).waitFor({ timeout: TIMEOUT });
    await save();
    assert.equal((await settings()).modelId, chosen);
  });

  test('typing fast asks the server when the typing pauses, not once per key', async () => {
    await page.evaluate(() => {
      const w = window as unknown as { __openrouterToHost(m: unknown): void; __queries: unknown[] };
      const send = w.__openrouterToHost;
      w.__queries = [];
      w.__openrouterToHost = (m: unknown) => {
        const message = m as { type: string; method?: string; params?: { query?: string } };
        if (message.type === 'request' && message.method === 'openrouter/models/list') w.__queries.push(message.params?.query ?? null);
        send(m);
      };
    });
    const input = page.locator('#modelSearch');
    await input.click();
    await input.fill('');
    await input.pressSequentially('gemini flash', { delay: 10 });
    await page.locator('#modelCount', { hasText: /models? match/ }).waitFor({ timeout: TIMEOUT });
    await page.waitForTimeout(400);
    const queries = await page.evaluate(() => (window as unknown as { __queries: unknown[] }).__queries);
    assert.ok(queries.length >= 1 && queries.length <= 3, JSON.stringify(queries));
    assert.equal(queries.at(-1), 'gemini flash');
    const ids = await listedIds();
    assert.ok(ids.length > 0 && ids.every((id) => /gemini/.test(id) && /flash/.test(id)), ids.join(', '));
    await input.press('Escape');
  });

  test('Esc closes the list and restores the current model without changing it', async () => {
    const current = (await settings()).modelId;
    await search('claude');
    const input = page.locator('#modelSearch');
    await input.press('ArrowDown');
    await input.press('Escape');
    assert.equal(await attr('#modelSearch', 'aria-expanded'), 'false');
    assert.equal(await page.locator('#modelList').isVisible(), false);
    assert.equal(await input.inputValue(), current);
    assert.equal(await page.locator('#discard').isVisible(), false, 'no unsaved change');
    // Alt+Down opens the whole list with the current model highlighted and selected.
    await input.press('Alt+ArrowDown');
    await page.waitForFunction((id) => document.querySelector('#modelList .model-row.active')?.getAttribute('data-id') === id,
      current, { timeout: TIMEOUT });
    assert.equal(await page.locator(`#modelList .model-row[data-id="${current}"]`).getAttribute('aria-selected'), 'true');
    // Long lists render in steps: the whole catalogue is not in the page until it is walked.
    const total = Number(/([\d,]+) models/.exec(await page.locator('#modelCount').innerText())?.[1]?.replace(/,/g, ''));
    const rendered = await page.locator('#modelList .model-row').count();
    assert.ok(total > 100 && rendered < total, `${rendered} of ${total} rendered`);
    // End fetches what is not loaded yet, then highlights the last model.
    await input.press('End');
    await page.waitForFunction((id) => document.querySelector('#modelSearch')?.getAttribute('aria-activedescendant') === id,
      `model-opt-${total - 1}`, { timeout: TIMEOUT });
    assert.equal(await page.locator('#modelList .model-row').count(), total);
    await input.press('Escape');
    assert.equal((await settings()).modelId, current);
  });

  test('a favourite (Alt+F or the star) is saved, listed first, and still starred after a reload', async () => {
    await search('gpt-4o');
    const input = page.locator('#modelSearch');
    await input.press('Alt+f');
    const deadline = Date.now() + TIMEOUT;
    while (!(await settings()).favoriteModels.includes(GPT) && Date.now() < deadline) await page.waitForTimeout(100);
    assert.deepEqual((await settings()).favoriteModels, [GPT]);
    await input.press('Escape');
    // The mouse star on another row.
    const haiku = (await search('haiku'))[0]!;
    await page.locator(`#modelList .model-row[data-id="${haiku}"] .picker-star`).click();
    while (!(await settings()).favoriteModels.includes(haiku) && Date.now() < deadline) await page.waitForTimeout(100);
    assert.deepEqual((await settings()).favoriteModels, [GPT, haiku]);
    await input.press('Escape');

    await page.reload();
    await page.locator('#modelCount', { hasText: /\d+ models/ }).waitFor({ timeout: TIMEOUT });
    await page.locator('#modelSearch').click();
    await page.locator('#modelList .model-row').first().waitFor({ timeout: TIMEOUT });
    const ids = await listedIds();
    assert.deepEqual(new Set(ids.slice(0, 2)), new Set([GPT, haiku]), ids.slice(0, 4).join(', '));
    for (const id of [GPT, haiku]) {
      const row = page.locator(`#modelList .model-row[data-id="${id}"]`);
      assert.equal(await row.locator('.codicon-star-full').count(), 1, `${id} is starred`);
      assert.match(await row.innerText(), /favourite/);
    }
    assert.equal(await page.locator(`#modelList .model-row[data-id="${ids[2]}"] .codicon-star-empty`).count(), 1);
    await screenshot(page, 'picker-02-favourites', false);
    await page.locator('#modelSearch').press('Escape');
  });

  test('filters change what is listed, as the server filters', async () => {
    const before = await page.locator('#modelCount').innerText();
    await page.locator('#filter-free').click();
    const free = (await server.request('openrouter/models/list', { free: true })).models;
    assert.ok(free.length > 0 && free.every((m) => m.isFree));
    await page.locator('#modelCount', { hasText: `${free.length} model${free.length === 1 ? '' : 's'} match` }).waitFor({ timeout: TIMEOUT });
    assert.notEqual(await page.locator('#modelCount').innerText(), before);
    await page.locator('#modelSearch').click();
    const shown = await listedIds();
    assert.deepEqual(shown, free.slice(0, shown.length).map((m) => m.id));
    await page.locator('#filter-tools').click();
    const freeTools = (await server.request('openrouter/models/list', { free: true, tools: true })).models;
    assert.ok(freeTools.length < free.length && freeTools.every((m) => m.supportsTools));
    await page.locator('#modelCount', { hasText: `${freeTools.length} model` }).waitFor({ timeout: TIMEOUT });
    await page.locator('#filter-tools').click();
    await page.locator('#modelCount', { hasText: `${free.length} model` }).waitFor({ timeout: TIMEOUT });
  });

  test('text that matches no listed model is taken as a custom id, which the server checks on Save', async () => {
    // With "free" on, GPT-4o is not listed, so its id typed in full is a custom id.
    await search(GPT);
    assert.equal(await page.locator('#modelList .model-row').count(), 0);
    await page.locator('#pickerCustom', { hasText: `“${GPT}” as a custom model id` }).waitFor({ timeout: TIMEOUT });
    await page.locator('#modelSearch').press('Enter');
    await page.locator('#modelCurrent', { hasText: GPT }).waitFor({ timeout: TIMEOUT });
    await save();
    assert.equal((await settings()).modelId, GPT);
    // An id no catalogue has: the server refuses it, naming the field.
    await search('acme/no-such-model');
    await page.locator('#modelSearch').press('Enter');
    await page.locator('#save').click();
    const error = page.locator('.field-error[data-path="modelId"]');
    await error.waitFor({ state: 'visible', timeout: TIMEOUT });
    assert.match(await error.innerText(), /acme\/no-such-model/);
    assert.equal((await settings()).modelId, GPT);
    await page.locator('#discard').click();
    await page.locator('#filter-free').click();
    await page.locator('#modelCurrent', { hasText: GPT }).waitFor({ timeout: TIMEOUT });
  });

  test('the card shows context, max output, capabilities and all four prices of the model', async () => {
    const model = (await server.request('openrouter/models/list', { query: GPT })).models.find((m) => m.id === GPT) as ModelInfo;
    const card = page.locator('#modelCard');
    await card.locator('#cardPrices').waitFor({ timeout: TIMEOUT });
    const text = await card.innerText();
    assert.match(text, /Context\s+128K tokens/);
    assert.match(text, new RegExp(`Max output\\s+${Math.round(model.maxCompletionTokens! / 1000)}K tokens`));
    const capabilities = [
      model.supportsImages ? 'image input' : 'no image input', model.supportsTools ? 'tools' : 'no tools',
      model.supportsReasoning ? 'reasoning' : 'no reasoning', model.supportsPromptCaching ? 'prompt caching' : 'no prompt caching',
    ];
    assert.match(text, new RegExp(`Capabilities\\s+${capabilities.join(' · ')}`));
    const price = async (key: string): Promise<string> => card.locator(`[data-price="${key}"]`).innerText();
    assert.equal(await price('price-prompt'), `$${model.pricing.prompt}`);
    assert.equal(await price('price-completion'), `$${model.pricing.completion}`);
    assert.equal(await price('price-cache-read'), model.pricing.cacheRead === null ? '—' : `$${model.pricing.cacheRead}`);
    assert.equal(await price('price-cache-write'), model.pricing.cacheWrite === null ? '—' : `$${model.pricing.cacheWrite}`);
    assert.ok(model.description.length > 0);
    // Markdown links keep their text only.
    assert.equal(await card.locator('#cardDescription').innerText(), model.description.replace(/\[([^\]]+)\]\([^)]*\)/g, '$1'));
    assert.doesNotMatch(await card.locator('#cardDescription').innerText(), /\]\(/);
  });

  test('the provider table lists each provider; one click pins it and the next chat request carries the pin', async () => {
    const { providers } = await server.request('openrouter/models/endpoints', { modelId: GPT });
    const rows = page.locator('#providerTable tbody tr');
    await rows.first().waitFor({ timeout: TIMEOUT });
    assert.equal(await rows.count(), providers.length);
    const headers = await page.locator('#providerTable thead th').allInnerTexts();
    for (const h of ['Input / output price', 'Context', 'Max output', 'Quantization', 'Uptime', 'Latency', 'Throughput']) {
      assert.ok(headers.some((x) => x.startsWith(h)), `${h} in ${headers.join(' | ')}`);
    }
    const azure = providers.find((p) => p.tag === 'azure')!;
    const row = page.locator('#providerTable tr[data-tag="azure"]');
    assert.match(await row.innerText(), new RegExp(`\\$${azure.pricing.prompt} / \\$${azure.pricing.completion}`));
    assert.equal(await row.getByRole('button').getAttribute('aria-pressed'), 'false');
    await page.getByRole('button', { name: /^Pin Azure/ }).click();
    await page.getByRole('button', { name: /^Unpin Azure/ }).waitFor({ timeout: TIMEOUT });
    assert.equal(await row.getByRole('button').getAttribute('aria-pressed'), 'true');
    assert.match(await row.innerText(), /Pinned/);
    assert.match(await page.locator('#pinStatus').innerText(), /pinned for openai\/gpt-4o/);
    const s = await settings();
    assert.equal(s.routing.provider, 'azure');
    assert.equal(s.providerPin.state, 'ok');
    assert.equal(await page.locator('#discard').isVisible(), false, 'the pin is saved, not left as an edit');

    await fetch(`${emulator.origin}/_emulator/requests`, { method: 'DELETE' });
    await server.request('openrouter/chat', { messages: [{ role: 'user', content: 'Which provider serves this?' }] });
    const { requests } = await (await fetch(`${emulator.origin}/_emulator/requests`)).json() as {
      requests: Array<{ method: string; path: string; body: { provider?: { order?: string[] } } }>;
    };
    const chats = requests.filter((r) => r.method === 'POST' && r.path.endsWith('/chat/completions'));
    assert.equal(chats.length, 1);
    assert.deepEqual(chats[0]!.body.provider?.order, ['azure']);

    // One more click unpins.
    await page.getByRole('button', { name: /^Unpin Azure/ }).click();
    await page.getByRole('button', { name: /^Pin Azure/ }).waitFor({ timeout: TIMEOUT });
    assert.equal((await settings()).routing.provider, null);
  });

  test('latency and throughput show in their units; the card of another model pins its own provider', async () => {
    const haiku = (await search('claude-haiku-4.5'))[0]!;
    await page.locator('#modelSearch').press('Enter');
    await page.locator('#modelCurrent', { hasText: haiku }).waitFor({ timeout: TIMEOUT });
    const { providers } = await server.request('openrouter/models/endpoints', { modelId: haiku });
    const first = providers[0]!;
    assert.ok(first.latencyP50 !== null && first.throughputP50 !== null, JSON.stringify(first));
    const row = page.locator(`#providerTable tr[data-tag="${first.tag}"]`);
    await row.waitFor({ timeout: TIMEOUT });
    const cells = await row.locator('td').allInnerTexts();
    // Milliseconds, as the endpoints list gives them (the emulator's first provider: 300 ms).
    assert.equal(cells[5], '300 ms');
    assert.equal(cells[6], `${Math.round(first.throughputP50)} tok/s`);
    // From the keyboard: the button keeps the focus once the table shows the pin.
    await row.getByRole('button').focus();
    await page.keyboard.press('Enter');
    await row.getByRole('button', { pressed: true }).waitFor({ timeout: TIMEOUT });
    await page.waitForFunction((tag) => document.activeElement?.getAttribute('data-tag') === tag
      && document.activeElement.getAttribute('aria-pressed') === 'true', first.tag, { timeout: TIMEOUT });
    const s = await settings();
    assert.equal(s.modelId, haiku, 'the pin saves the model it was chosen for');
    assert.equal(s.routing.provider, first.tag);
    const card = join(ARTIFACTS, 'picker-03-card.png');
    await page.locator('#modelCard').screenshot({ path: card });
    copyToDocs(card, 'vscode-model-card.png');
    // A router's price depends on the model it picks: the card says so.
    const router = (await server.request('openrouter/models/list', { query: 'openrouter/auto' })).models.find((m) => m.id === 'openrouter/auto')!;
    assert.ok(router.variablePricing && router.pricingNote);
    await search('openrouter/auto');
    await page.locator('#modelSearch').press('Enter');
    await page.locator('#cardPriceNote').waitFor({ timeout: TIMEOUT });
    assert.equal(await page.locator('#cardPriceNote').innerText(), router.pricingNote);
    // Back to GPT-4o, whose pin was removed above.
    await search(GPT);
    await page.locator('#modelSearch').press('Enter');
    await save();
    assert.equal((await settings()).routing.provider, null);
  });

  for (const theme of ['dark', 'light'] as Theme[]) {
    test(`axe-core finds no violation in the picker (open) and the card, ${theme} theme`, async () => {
      const v = theme === 'dark' ? view : await openWebview(browser, web.origin, 'settings', server, undefined, theme);
      if (v !== view) others.push(v);
      await v.page.locator('#providerTable').waitFor({ timeout: TIMEOUT });
      await search('mini', v.page);
      await v.page.locator('#modelSearch').press('ArrowDown');
      // The picker, its open list and the card; the rest of the panel is another change's.
      const violations = await axeViolations(v, ['#modelPicker', '#modelCard']);
      assert.deepEqual(violations, [], JSON.stringify(violations, null, 1));
      const shot = join(ARTIFACTS, `picker-04-open-${theme}.png`);
      await v.page.locator('#modelPicker').screenshot({ path: shot });
      if (theme === 'dark') copyToDocs(shot, 'vscode-model-picker.png');
      await v.page.locator('#modelSearch').press('Escape');
    });
  }

  test('at 170 px wide nothing in the picker or the card is cut off', async (t) => {
    const narrow = await openWebview(browser, web.origin, 'settings', server, { width: 170, height: 1200 });
    others.push(narrow);
    await narrow.page.locator('#providerTable').waitFor({ timeout: TIMEOUT });
    await narrow.page.locator('#modelCount', { hasText: /\d+ models/ }).waitFor({ timeout: TIMEOUT });
    assert.deepEqual(await overflowing(narrow.page), []);
    const widest = await narrow.page.evaluate(() => Math.max(...Array.from(document.querySelectorAll('#modelPicker, #modelCard'))
      .map((el) => el.scrollWidth - el.clientWidth)));
    assert.equal(widest, 0, 'neither scrolls sideways');
    await search('mini', narrow.page);
    assert.deepEqual(await overflowing(narrow.page), []);
    // The table scrolls inside a region the keyboard can reach.
    assert.equal(await narrow.page.locator('.table-scroll').getAttribute('tabindex'), '0');
    await screenshot(narrow.page, 'picker-05-170px', true);
    // Elsewhere in the panel (not this change's to fix): what is wider than the viewport.
    t.diagnostic(`outside the picker and card: ${JSON.stringify(await narrow.page.evaluate(() => Array.from(document.querySelectorAll('body *'))
      .filter((el) => !el.closest('#modelPicker, #modelCard') && el.getBoundingClientRect().right > document.documentElement.clientWidth + 0.5)
      .slice(0, 8).map((el) => `${el.tagName.toLowerCase()}#${el.id}.${el.className}`)))}`);
    await narrow.page.locator('#modelSearch').press('Escape');
  });

  test('the list comes a page at a time: scrolling to the end of a page fetches the next, End reaches the last model', async () => {
    const paged = await openWatched();
    const p = paged.page;
    const whole = (await server.request('openrouter/models/list', {})).models.map((m) => m.id);
    assert.ok(whole.length > 3 * PAGE, `${whole.length} models: more than a few pages`);
    await p.locator('#modelCount', { hasText: `${whole.length} models` }).waitFor({ timeout: TIMEOUT });
    const lists = await listRequests(p);
    assert.deepEqual(lists[0], { sort: 'default', free: false, imageInput: false, tools: false, reasoning: false, caching: false, limit: PAGE, offset: 0 });
    assert.ok(lists.every((params) => params.ids !== undefined || params.limit === PAGE), JSON.stringify(lists));

    await p.locator('#modelSearch').click();
    await p.locator('#modelList .model-row').first().waitFor({ timeout: TIMEOUT });
    // Rows are rendered 50 at a time: scroll until the rows reach past the first page.
    const deadline = Date.now() + TIMEOUT;
    while (await p.locator(`#model-opt-${PAGE}`).count() === 0 && Date.now() < deadline) {
      await p.locator('#modelList').evaluate((el) => { el.scrollTop = el.scrollHeight; });
      await p.waitForTimeout(50);
    }
    const pages = (await listRequests(p)).filter((params) => params.ids === undefined);
    // The first page (again if the favourites arrived after it was asked for), then the second.
    assert.match(pages.map((params) => params.offset).join(','), new RegExp(`^0,(0,)?${PAGE}$`), JSON.stringify(pages));
    assert.deepEqual(await listedIds(p), whole.slice(0, (await listedIds(p)).length));
    assert.equal(await p.locator(`#model-opt-${PAGE}`).getAttribute('aria-posinset'), String(PAGE + 1));
    assert.equal(await p.locator(`#model-opt-${PAGE}`).getAttribute('aria-setsize'), String(whole.length));

    // End: the rest is fetched and the last model highlighted.
    await p.locator('#modelSearch').press('End');
    const last = `model-opt-${whole.length - 1}`;
    await p.waitForFunction((id) => document.querySelector('#modelSearch')?.getAttribute('aria-activedescendant') === id, last, { timeout: TIMEOUT });
    assert.equal(await p.locator(`#${last}`).getAttribute('data-id'), whole.at(-1));
    assert.deepEqual(await listedIds(p), whole);
    await p.locator('#modelSearch').press('Home');
    assert.equal(await attr('#modelSearch', 'aria-activedescendant', p), 'model-opt-0');
    await p.locator('#modelSearch').press('Escape');
  });

  test('a search restarts the paging from its first page', async () => {
    const paged = await openWatched();
    const p = paged.page;
    await p.locator('#modelCount', { hasText: /\d+ models/ }).waitFor({ timeout: TIMEOUT });
    const expected = await search('gpt', p);
    const matches = (await server.request('openrouter/models/list', { query: 'gpt' })).total;
    await p.locator('#modelCount', { hasText: `${matches} models match` }).waitFor({ timeout: TIMEOUT });
    const lists = (await listRequests(p)).filter((params) => params.query !== undefined);
    assert.deepEqual(lists.at(-1), { sort: 'default', free: false, imageInput: false, tools: false, reasoning: false, caching: false, query: 'gpt', limit: PAGE, offset: 0 });
    assert.deepEqual(await listedIds(p), expected.slice(0, (await listedIds(p)).length));
    await p.locator('#modelSearch').press('Escape');
  });

  test('a page that arrives after the search changed is dropped', async () => {
    const paged = await openWatched();
    const p = paged.page;
    await p.locator('#modelCount', { hasText: /\d+ models/ }).waitFor({ timeout: TIMEOUT });
    await p.evaluate((offset) => { (window as unknown as { __holdOffset: number }).__holdOffset = offset; }, PAGE);
    await p.locator('#modelSearch').click();
    await p.locator('#modelList .model-row').first().waitFor({ timeout: TIMEOUT });
    const deadline = Date.now() + TIMEOUT;
    while (!(await listRequests(p)).some((params) => params.offset === PAGE) && Date.now() < deadline) {
      await p.locator('#modelList').evaluate((el) => { el.scrollTop = el.scrollHeight; });
      await p.waitForTimeout(50);
    }
    // The whole list's second page is on its way (held back) when a search replaces the list.
    const expected = await search('b', p);
    assert.ok(expected.length > PAGE, `${expected.length} matches: more than a page`);
    await p.evaluate(() => (window as unknown as { __release(): void }).__release());
    await p.locator('#modelSearch').press('End');
    const last = `model-opt-${expected.length - 1}`;
    await p.waitForFunction((id) => document.querySelector('#modelSearch')?.getAttribute('aria-activedescendant') === id, last, { timeout: TIMEOUT });
    assert.deepEqual(await listedIds(p), expected);
    await p.locator('#modelSearch').press('Escape');
  });

  test('the card shows a model from beyond the first page, asked for by id', async () => {
    const paged = await openWatched();
    const p = paged.page;
    const whole = (await server.request('openrouter/models/list', {})).models;
    const far = whole[whole.length - 2]!;
    assert.ok(whole.indexOf(far) >= PAGE);
    const before = (await settings()).modelId;
    await p.locator('#modelCount', { hasText: /\d+ models/ }).waitFor({ timeout: TIMEOUT });
    await server.request('openrouter/settings/update', { patch: { modelId: far.id } });
    await p.locator('#modelCurrent', { hasText: far.name }).waitFor({ timeout: TIMEOUT });
    await p.locator('#cardPrices').waitFor({ timeout: TIMEOUT });
    assert.ok((await p.locator('#modelCurrent').innerText()).includes(far.id));
    assert.doesNotMatch(await p.locator('#modelCard').innerText(), /not in the model list/);
    assert.equal(await p.locator('[data-price="price-prompt"]').innerText(), far.pricing.prompt === null ? '—' : `$${far.pricing.prompt}`);
    // Only the first page was fetched: the card's entry came by id.
    const lists = await listRequests(p);
    assert.ok(lists.some((params) => JSON.stringify(params.ids) === JSON.stringify([far.id])), JSON.stringify(lists));
    assert.ok(lists.every((params) => params.ids !== undefined || params.offset === 0), JSON.stringify(lists));
    await server.request('openrouter/settings/update', { patch: { modelId: before } });
    await p.locator('#modelCurrent', { hasText: before }).waitFor({ timeout: TIMEOUT });
  });

  test('the pages raised no console errors and no CSP violations', () => {
    assert.deepEqual(view.problems, []);
    for (const other of others) assert.deepEqual(other.problems, []);
  });
});
