/**
 * The settings panel, in headless Chromium, against the real language server and emulator:
 * key, model search and pick, every routing and data-policy option, save, confirm with
 * openrouter/settings/get, a field error, edits that survive, and didChange.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import {
  launchBrowser, openWebview, screenshot, serveWebviews, startEmulator, startServer, TEST_KEY,
  type Emulator, type LanguageServer, type OpenedWebview, closeAll } from './harness';
import { choose, savePanel } from './panelActions';
import type { SettingsView } from '../../src/wire';

const TIMEOUT = 30000;
let emulator: Emulator;
let server: LanguageServer;
let web: Awaited<ReturnType<typeof serveWebviews>>;
let browser: Browser;
let view: OpenedWebview;
let page: Page;

async function settings(): Promise<SettingsView> {
  return server.request('openrouter/settings/get', {});
}

const save = (): Promise<void> => savePanel(page);

async function expectChecked(id: string, checked: boolean): Promise<void> {
  await page.waitForFunction(([sel, want]) => (document.querySelector(sel) as unknown as { checked: boolean }).checked === want,
    [`#${id}`, checked] as const, { timeout: TIMEOUT });
}

describe('settings panel (webview in headless Chromium, real server, real emulator)', { timeout: 240000 }, () => {
  before(async () => {
    emulator = await startEmulator();
    server = await startServer();
    // Point the server at the emulator before the page opens, as a user of a gateway would.
    await server.request('openrouter/settings/update', { patch: { useCustomBaseUrl: true, customBaseUrl: emulator.baseUrl } });
    web = await serveWebviews();
    browser = await launchBrowser();
    view = await openWebview(browser, web.origin, 'settings', server);
    page = view.page;
  });

  after(() => closeAll(view, browser, web, server, emulator));

  test('renders the sections in the order of the source document', async () => {
    await page.locator('#apiKeyStatus', { hasText: 'No key set' }).waitFor({ timeout: TIMEOUT });
    const headings = await page.locator('section > h2').allTextContents();
    assert.deepEqual(headings, [
      'API Provider', 'OpenRouter API Key', 'Model', 'Reasoning and Output', 'Base URL', 'Transforms', 'Provider Routing', 'Prompt Caching',
    ]);
    assert.equal(await page.locator('#advancedRouting > summary h2').innerText(), 'Advanced routing', 'after Provider Routing, collapsed');
    await page.locator('#modelCount', { hasText: /\d+ models/ }).waitFor({ timeout: TIMEOUT });
    assert.match(await page.locator('#modelsFetched').innerText(), /Fetched/);
    await screenshot(page, '01-settings-initial');
  });

  test('the get-a-key link asks the host to open openrouter.ai/keys', async () => {
    await page.locator('#getKeyLink').click();
    assert.deepEqual(view.commands.at(-1), { command: 'openExternal', arg: 'https://openrouter.ai/keys' });
  });

  test('a pasted API key is saved, shown as a hint, and the credits appear', async () => {
    await page.locator('#apiKey input').fill(TEST_KEY);
    assert.equal(await page.locator('#apiKey input').getAttribute('type'), 'password');
    await save();
    await page.locator('#apiKeyStatus', { hasText: 'Key set' }).waitFor({ timeout: TIMEOUT });
    const status = await page.locator('#apiKeyStatus').innerText();
    assert.ok(status.includes('…1c96'), status);
    assert.ok(!status.includes(TEST_KEY), 'the key itself is never shown');
    await page.locator('#credits', { hasText: /^Balance: \$\d/ }).waitFor({ timeout: TIMEOUT });
    assert.doesNotMatch(await page.locator('#credits').innerText(), /loading|could not/i);
    const after = await settings();
    assert.equal(after.apiKey.isSet, true);
    assert.equal(await page.locator('#apiKey input').inputValue(), '', 'the field is emptied once saved');
  });

  test('the model list is searchable and shows context and prices; picking one is saved', async () => {
    const total = Number(/(\d+) models/.exec(await page.locator('#modelCount').innerText())?.[1]);
    assert.ok(total > 50, `expected the catalogue, got ${total} models`);
    await page.locator('#modelSearch').fill('gpt-4o');
    await page.waitForFunction(() => document.querySelectorAll('.model-row').length < 30);
    const ids = await page.locator('.model-row').evaluateAll((rows) => rows.map((r) => (r as HTMLElement).dataset.id));
    assert.ok(ids.length > 0 && ids.every((id) => /gpt-4o/i.test(id ?? '')), JSON.stringify(ids));
    const row = page.locator('.model-row[data-id="openai/gpt-4o"]');
    assert.match(await row.innerText(), /128K ctx/);
    assert.match(await row.innerText(), /\$2\.5 in \/ \$10 out/);
    await screenshot(page, '02-settings-model-search');
    await row.click();
    await page.locator('#modelCurrent', { hasText: 'openai/gpt-4o' }).waitFor();
    assert.equal(await page.locator('#modelSearch').inputValue(), 'openai/gpt-4o');
    assert.equal(await page.locator('#modelSearch').getAttribute('aria-expanded'), 'false');
    await save();
    assert.equal((await settings()).modelId, 'openai/gpt-4o');
  });

  test('every provider sort is saved', async () => {
    const sort = page.locator('#sort');
    await page.locator('#endpointsNote', { hasText: /providers? serve openai\/gpt-4o/ }).waitFor({ timeout: TIMEOUT });
    for (const [label, value] of [
      [/lower price/, 'price'], [/higher throughput/, 'throughput'], [/lower latency/, 'latency'], [/^Default provider sort/, 'default'],
    ] as const) {
      await choose(sort, label);
      await save();
      const s = await settings();
      assert.equal(s.routing.sort, value);
      assert.equal(s.routing.provider, null);
      assert.equal(await page.locator('#providerWarning').isVisible(), false);
      assert.equal(await page.locator('#allowFallbacks').isVisible(), false, 'allow fallbacks only goes with one provider');
    }
  });

  test('one specific provider shows the warning and the fallbacks box', async () => {
    const sort = page.locator('#sort');
    await choose(sort, /^Provider: Azure/);
    await page.locator('#providerWarning').waitFor({ state: 'visible' });
    assert.match(await page.locator('#providerWarning').innerText(), /not recommended.*downtime.*rate limits/s);
    await page.locator('#allowFallbacks').waitFor({ state: 'visible' });
    await expectChecked('allowFallbacks', true);
    await page.locator('#allowFallbacks').click();
    await expectChecked('allowFallbacks', false);
    await screenshot(page, '03-settings-one-provider');
    await save();
    const s = await settings();
    assert.equal(s.routing.provider, 'azure');
    assert.equal(s.routing.allowFallbacks, false);
  });

  test('every data policy is saved, each with its explanation', async () => {
    const policy = page.locator('#dataPolicy');
    for (const [label, value, help] of [
      ['Allow prompt training', 'allow', /Free models generally require/],
      ['Deny prompt training', 'deny', /are not allowed/],
      ['Zero data retention', 'zdr', /not recommended.*Anthropic and OpenAI/s],
      ['No data policy set', 'default', /use the settings in your OpenRouter account/],
    ] as const) {
      await choose(policy, label);
      await page.locator('#dataPolicyHelp', { hasText: help }).waitFor();
      await save();
      assert.equal((await settings()).routing.dataPolicy, value);
    }
  });

  test('middle-out and prompt caching checkboxes are saved', async () => {
    const before = await settings();
    await page.locator('#middleOutTransform').click();
    await page.locator('#promptCaching').click();
    await save();
    const s = await settings();
    assert.equal(s.middleOutTransform, !before.middleOutTransform);
    assert.equal(s.promptCaching, !before.promptCaching);
    // The routing choices of the earlier steps are untouched.
    assert.equal(s.routing.provider, 'azure');
    await screenshot(page, '04-settings-saved');
  });

  test('a bad base URL is refused by the server and the error appears beside the field', async () => {
    const before = await settings();
    await page.locator('#customBaseUrl input').fill('http://example.com/api/v1');
    await page.locator('#save').click();
    const error = page.locator('.field-error[data-path="customBaseUrl"]');
    await error.waitFor({ state: 'visible', timeout: TIMEOUT });
    assert.ok((await error.innerText()).length > 10, await error.innerText());
    assert.match(await page.locator('#saveStatus').innerText(), /Not saved/);
    await screenshot(page, '05-settings-field-error');
    assert.equal((await settings()).customBaseUrl, before.customBaseUrl, 'nothing was changed');
    // Put it right: the error goes away on a good save.
    await page.locator('#customBaseUrl input').fill(emulator.baseUrl);
    await save();
    assert.equal(await error.isVisible(), false);
  });

  test('unsaved edits survive the page being hidden and shown again', async () => {
    await choose(page.locator('#dataPolicy'), 'Deny prompt training');
    await page.locator('#saveStatus', { hasText: 'Unsaved changes' }).waitFor();
    await page.reload();
    await page.locator('#dataPolicyHelp', { hasText: /are not allowed/ }).waitFor({ timeout: TIMEOUT });
    await page.locator('#saveStatus', { hasText: 'Unsaved changes' }).waitFor();
    assert.equal((await settings()).routing.dataPolicy, 'default', 'not saved yet');
    await page.locator('#discard').click();
    await page.locator('#dataPolicyHelp', { hasText: /use the settings in your OpenRouter account/ }).waitFor();
  });

  test('openrouter/settings/didChange from elsewhere refreshes the panel', async () => {
    await server.request('openrouter/settings/update', { patch: { routing: { sort: 'latency', provider: null }, modelId: 'anthropic/claude-sonnet-4.5' } });
    await page.locator('#modelCurrent', { hasText: 'anthropic/claude-sonnet-4.5' }).waitFor({ timeout: TIMEOUT });
    await page.waitForFunction(() => (document.querySelector('#sort') as unknown as { value: string }).value === 'sort:latency', undefined, { timeout: TIMEOUT });
    assert.equal(await page.locator('#providerWarning').isVisible(), false);
  });

  test('the page raised no console errors and no CSP violations', () => {
    assert.deepEqual(view.problems, []);
  });
});
