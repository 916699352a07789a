/**
 * Choosing how a model answers and is routed, in the settings panel (headless Chromium, real
 * server, real emulator): reasoning effort and max output offered from the model's catalogue
 * entry, the collapsed Advanced routing section saved field by field with the server's errors
 * beside the field they name, and "Sign in with OpenRouter" through the emulator's /auth page.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, Locator, Page } from 'playwright-core';
import {
  closeAll, launchBrowser, openWebview, screenshot, serveWebviews, startEmulator, startServer,
  type Emulator, type LanguageServer, type OpenedWebview,
} from './harness';
import { choose, savePanel } from './panelActions';
import { completeSignIn } from '../../src/signIn';
import type { SettingsView } from '../../src/wire';

const TIMEOUT = 30000;
let emulator: Emulator;
let server: LanguageServer;
let web: Awaited<ReturnType<typeof serveWebviews>>;
let browser: Browser;
let view: OpenedWebview;
let page: Page;

const settings = (): Promise<SettingsView> => server.request('openrouter/settings/get', {});

const save = (): Promise<void> => savePanel(page);

async function optionLabels(select: Locator): Promise<string[]> {
  return select.locator('vscode-option').allInnerTexts();
}

function errorFor(path: string): Locator {
  return page.locator(`.field-error[data-path="${path}"]`);
}

describe('reasoning, output and advanced routing in the settings panel (real server, real emulator)', { timeout: 300000 }, () => {
  before(async () => {
    emulator = await startEmulator();
    server = await startServer('settings-routing-server');
    await server.request('openrouter/settings/update', {
      patch: { useCustomBaseUrl: true, customBaseUrl: emulator.baseUrl, modelId: 'anthropic/claude-sonnet-4.5' },
    });
    web = await serveWebviews();
    browser = await launchBrowser();
    view = await openWebview(browser, web.origin, 'settings', server);
    page = view.page;
    await page.locator('#modelCount', { hasText: /\d+ models/ }).waitFor({ timeout: TIMEOUT });
  });

  after(() => closeAll(view, browser, web, server, emulator));

  test('a reasoning model offers its own efforts, the default naming its default effort', async () => {
    const group = page.locator('#reasoningEffortGroup');
    await group.waitFor({ state: 'visible', timeout: TIMEOUT });
    const models = await server.request('openrouter/models/list', {});
    const claude = models.models.find((m) => m.id === 'anthropic/claude-sonnet-4.5')!;
    assert.ok(claude.supportsReasoning && claude.supportedEfforts.length > 0);
    await page.waitForFunction(() => document.querySelectorAll('#reasoningEffort vscode-option').length > 1);
    const labels = await optionLabels(page.locator('#reasoningEffort'));
    assert.equal(labels[0], `Model default (${claude.defaultEffort})`);
    assert.equal(labels.length, claude.supportedEfforts.length + 1, JSON.stringify(labels));
    assert.ok(labels.includes('None: no reasoning') === claude.supportedEfforts.includes('none'));
    await choose(page.locator('#reasoningEffort'), /^High$/);
    await save();
    assert.equal((await settings()).reasoningEffort, 'high');
  });

  test('max output is bounded by the model: saved with Enter, too many tokens refused beside the field', async () => {
    const models = await server.request('openrouter/models/list', {});
    const limit = models.models.find((m) => m.id === 'anthropic/claude-sonnet-4.5')!.maxCompletionTokens!;
    assert.ok(limit > 0);
    assert.match(await page.locator('#maxOutputHelp').innerText(), new RegExp(`1 to ${limit.toLocaleString('en-US')}`));
    const field = page.locator('#maxOutputTokens input');
    await field.fill('5000');
    await field.press('Enter');
    await page.locator('#saveStatus', { hasText: /^Saved$/ }).waitFor({ timeout: TIMEOUT });
    assert.equal((await settings()).maxOutputTokens, 5000);
    await field.fill(String(limit + 1));
    await page.locator('#save').click();
    await errorFor('maxOutputTokens').waitFor({ state: 'visible', timeout: TIMEOUT });
    assert.match(await errorFor('maxOutputTokens').innerText(), new RegExp(limit.toLocaleString('en-US')));
    assert.doesNotMatch(await errorFor('maxOutputTokens').innerText(), /openrouter\//);
    assert.equal((await settings()).maxOutputTokens, 5000, 'nothing was changed');
    await field.fill('');
    await save();
    assert.equal((await settings()).maxOutputTokens, null);
    assert.equal(await errorFor('maxOutputTokens').isVisible(), false);
  });

  test('a model that does not reason hides the effort control', async () => {
    await server.request('openrouter/settings/update', { patch: { modelId: 'openai/gpt-4o' } });
    await page.locator('#noReasoning', { hasText: /does not reason/ }).waitFor({ timeout: TIMEOUT });
    assert.equal(await page.locator('#reasoningEffortGroup').isVisible(), false);
    assert.equal(await page.locator('#maxOutputGroup').isVisible(), true);
    // The stored effort is kept for the models that take it.
    assert.equal((await settings()).reasoningEffort, 'high');
    await server.request('openrouter/settings/update', { patch: { modelId: 'anthropic/claude-sonnet-4.5' } });
    await page.locator('#reasoningEffortGroup').waitFor({ state: 'visible', timeout: TIMEOUT });
  });

  test('Advanced routing is collapsed, opens from the keyboard, and saves every field', async () => {
    const details = page.locator('#advancedRouting');
    assert.equal(await details.evaluate((d) => (d as HTMLDetailsElement).open), false, 'collapsed at first');
    assert.equal(await page.locator('#modelVariant').isVisible(), false);
    await page.locator('#advancedRouting > summary').focus();
    await page.keyboard.press('Enter');
    await page.locator('#modelVariant').waitFor({ state: 'visible' });
    await choose(page.locator('#modelVariant'), /^Nitro/);
    await page.locator('#fallbackModel0 input').fill('openai/gpt-4o-mini');
    await page.locator('#fallbackModel1 input').fill('google/gemini-2.5-flash');
    await page.locator('#maxPricePrompt input').fill('5');
    await page.locator('#maxPriceCompletion input').fill('20');
    await page.locator('#quant-fp8').click();
    await page.locator('#quant-bf16').click();
    await page.locator('#ignoreProviders input').fill('deepinfra, together');
    await page.locator('#preferredMinThroughput input').fill('50');
    await page.locator('#preferredMaxLatency input').fill('2.5');
    await page.locator('#advancedRoutingCount', { hasText: '(7 set)' }).waitFor();
    await screenshot(page, 'routing-01-advanced-open');
    await save();
    const s = await settings();
    assert.equal(s.modelVariant, 'nitro');
    assert.deepEqual(s.fallbackModels, ['openai/gpt-4o-mini', 'google/gemini-2.5-flash']);
    assert.deepEqual(s.routing.maxPrice, { prompt: 5, completion: 20 });
    assert.deepEqual([...s.routing.quantizations].sort(), ['bf16', 'fp8']);
    assert.deepEqual(s.routing.ignore, ['deepinfra', 'together']);
    assert.equal(s.routing.preferredMinThroughput, 50);
    assert.equal(s.routing.preferredMaxLatency, 2.5);
    assert.equal(await page.locator('#saveStatus').innerText(), 'Saved', 'nothing left unsaved');
  });

  test('a value the server refuses is named beside its field, and nothing is saved', async () => {
    await page.locator('#fallbackModel2 input').fill('openai/gpt-4o-mini');
    await page.locator('#save').click();
    await errorFor('fallbackModels').waitFor({ state: 'visible', timeout: TIMEOUT });
    assert.match(await errorFor('fallbackModels').innerText(), /more than once/);
    assert.equal(await page.locator('#generalError').isVisible(), false, 'the error is beside the field, not at the top');
    await page.locator('#fallbackModel2 input').fill('');
    await page.locator('#preferredMaxLatency input').fill('-1');
    await page.locator('#save').click();
    await errorFor('routing.preferredMaxLatency').waitFor({ state: 'visible', timeout: TIMEOUT });
    await screenshot(page, 'routing-02-field-error');
    assert.equal((await settings()).routing.preferredMaxLatency, 2.5);
    await page.locator('#preferredMaxLatency input').fill('');
    await page.locator('#modelVariant').click();
    await page.locator('#modelVariant').getByRole('option', { name: /^No variant/ }).click();
    await save();
    const s = await settings();
    assert.equal(s.routing.preferredMaxLatency, null);
    assert.equal(s.modelVariant, null);
    assert.equal(await errorFor('routing.preferredMaxLatency').isVisible(), false);
  });

  test('Sign in with OpenRouter: the emulator\'s /auth page, the code handed back, the key stored', async () => {
    assert.equal((await settings()).apiKey.isSet, false);
    await page.locator('#signIn').click();
    await page.locator('#signInStatusText', { hasText: /Continue in your browser/ }).waitFor({ timeout: TIMEOUT });
    const opened = view.commands.filter((c) => c.command === 'openExternal').at(-1)?.arg ?? '';
    const authUrl = new URL(opened);
    assert.equal(`${authUrl.origin}${authUrl.pathname}`, `${emulator.origin}/auth`);
    assert.equal(authUrl.searchParams.get('code_challenge_method'), 'S256');
    const callback = new URL(authUrl.searchParams.get('callback_url')!);
    assert.equal(`${callback.protocol}//${callback.host}${callback.pathname}`, 'vscode://openrouter-lsp.openrouter-lsp/signin');

    // The browser: the authorisation page, its Authorize link, and the redirect to VS Code.
    const browserTab = await page.context().newPage();
    let redirect = '';
    await browserTab.route('**/auth/authorize**', async (route) => {
      const response = await route.fetch({ maxRedirects: 0 });
      redirect = response.headers().location ?? '';
      await route.fulfill({ status: 200, contentType: 'text/html', body: '<p>Back to VS Code</p>' });
    });
    await browserTab.goto(authUrl.toString());
    await browserTab.locator('#authorize').click();
    await browserTab.locator('text=Back to VS Code').waitFor();
    await browserTab.close();
    assert.match(redirect, /^vscode:\/\/openrouter-lsp\.openrouter-lsp\/signin\?/);

    // VS Code hands the URI to the extension's handler, which completes the sign-in.
    const result = await completeSignIn((method, params) => server.request(method, params), new URL(redirect).search);
    assert.equal(result.outcome, 'signed_in');
    await page.locator('#signInStatusText', { hasText: /Signed in/ }).waitFor({ timeout: TIMEOUT });
    await page.locator('#apiKeyStatus', { hasText: /^Key set/ }).waitFor({ timeout: TIMEOUT });
    // "Credits: loading…" first, then the balance (or why it could not be read).
    await page.waitForFunction(() => {
      const text = document.querySelector('#credits')?.textContent ?? '';
      return /credit|Balance/i.test(text) && !/loading/i.test(text);
    }, undefined, { timeout: TIMEOUT });
    assert.doesNotMatch(await page.locator('#credits').innerText(), /could not|loading/i, 'the new key is accepted upstream');
    assert.equal((await settings()).apiKey.isSet, true);
    await screenshot(page, 'routing-03-signed-in');
  });

  test('a sign-in whose code OpenRouter refuses ends with the reason shown', async () => {
    await page.locator('#signIn').click();
    await page.locator('#signInStatusText', { hasText: /Continue in your browser/ }).waitFor({ timeout: TIMEOUT });
    const authUrl = new URL(view.commands.filter((c) => c.command === 'openExternal').at(-1)!.arg!);
    const state = new URL(authUrl.searchParams.get('callback_url')!).searchParams.get('state')!;
    await assert.rejects(completeSignIn((method, params) => server.request(method, params), `?state=${state}&code=emu_auth_not-issued`));
    const status = page.locator('#signInStatusText');
    await status.filter({ hasText: /did not accept/ }).waitFor({ timeout: TIMEOUT });
    assert.doesNotMatch(await status.innerText(), /openrouter\/|emu_auth/);
    assert.equal(await page.locator('#signIn').isEnabled(), true, 'the user can sign in again');
  });

  test('the page raised no console errors and no CSP violations', () => {
    assert.deepEqual(view.problems, []);
  });
});
