/**
 * The chat view, in headless Chromium, against the real language server and emulator:
 * a streamed reply with its usage line, Stop, and errors by kind with the action that fixes them.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import {
  launchBrowser, openWebview, screenshot, serveWebviews, startEmulator, startServer, TEST_KEY,
  type Emulator, type LanguageServer, type OpenedWebview, closeAll } from './harness';

const TIMEOUT = 30000;
let emulator: Emulator;
let server: LanguageServer;
let web: Awaited<ReturnType<typeof serveWebviews>>;
let browser: Browser;
let view: OpenedWebview;
let page: Page;

async function emulatorControl(path: string, body?: unknown, method = 'POST'): Promise<unknown> {
  const res = await fetch(`${emulator.origin}/_emulator/${path}`, {
    method, headers: { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body),
  });
  assert.ok(res.ok, `emulator ${path}: ${res.status}`);
  return res.json().catch(() => null);
}

async function send(text: string): Promise<void> {
  await page.locator('#input textarea').fill(text);
  await page.locator('#send').click();
}

const lastReply = (): ReturnType<Page['locator']> => page.locator('.message.assistant').last();

describe('chat view (webview in headless Chromium, real server, real emulator)', { timeout: 240000 }, () => {
  before(async () => {
    emulator = await startEmulator();
    server = await startServer('chat-server');
    await server.request('openrouter/settings/update', {
      patch: { useCustomBaseUrl: true, customBaseUrl: emulator.baseUrl, modelId: 'openai/gpt-4o' },
    });
    await server.request('openrouter/apiKey/set', { apiKey: TEST_KEY });
    web = await serveWebviews();
    browser = await launchBrowser();
    view = await openWebview(browser, web.origin, 'chat', server, { width: 440, height: 820 });
    page = view.page;
  });

  after(() => closeAll(view, browser, web, server, emulator));

  test('a reply streams in and ends with a usage and cost line', async () => {
    await page.locator('#chatModelId', { hasText: 'openai/gpt-4o' }).waitFor({ timeout: TIMEOUT });
    await emulatorControl('config', { tokensPerSecond: 60 });
    await send('Write a haiku about language servers.');
    await page.locator('.message.user', { hasText: 'haiku' }).waitFor();
    // Streaming: text is there while Stop is still shown.
    await page.locator('#stop').waitFor({ state: 'visible', timeout: TIMEOUT });
    await page.waitForFunction(() => {
      const replies = document.querySelectorAll('.message.assistant .content');
      const last = replies[replies.length - 1];
      return (last?.textContent ?? '').length > 0 && !document.querySelector('#stop')?.hasAttribute('hidden');
    }, undefined, { timeout: TIMEOUT });
    await screenshot(page, '11-chat-streaming', false);
    await lastReply().locator('.usage').waitFor({ timeout: 60000 });
    const usage = await lastReply().locator('.usage').innerText();
    assert.match(usage, /\d+ in · \d+ out · (\$[\d.]+|cost unknown)/);
    assert.ok((await lastReply().locator('.content').innerText()).length > 10);
    assert.equal(await page.locator('#send').isVisible(), true);
    await screenshot(page, '12-chat-reply', false);
  });

  test('Stop cancels the request and closes the upstream stream', async () => {
    await emulatorControl('requests', undefined, 'DELETE');
    await emulatorControl('config', { tokensPerSecond: 3 });
    await send('Tell me a long story.');
    await page.waitForFunction(() => {
      const replies = document.querySelectorAll('.message.assistant .content');
      return (replies[replies.length - 1]?.textContent ?? '').length > 0;
    }, undefined, { timeout: TIMEOUT });
    await page.locator('#stop').click();
    await lastReply().locator('.stopped').waitFor({ timeout: TIMEOUT });
    assert.equal(await lastReply().locator('.usage').count(), 0);
    // The emulator saw the client go away before the end of the stream.
    const deadline = Date.now() + 10000;
    let disconnected = false;
    while (!disconnected && Date.now() < deadline) {
      const { requests } = (await emulatorControl('requests', undefined, 'GET')) as { requests: Array<{ path: string; disconnected: boolean }> };
      disconnected = requests.some((r) => r.path.endsWith('/chat/completions') && r.disconnected);
      if (!disconnected) await new Promise((r) => setTimeout(r, 250));
    }
    assert.ok(disconnected, 'the upstream stream was closed');
    await emulatorControl('config', { tokensPerSecond: 2000 });
  });

  test('rate limit: the error says when to retry, and Retry works', async () => {
    await emulatorControl('faults', { route: '/chat/completions', status: 429, headers: { 'Retry-After': '30' }, times: 1 });
    await send('Hello?');
    const error = lastReply().locator('.chat-error[data-kind="rate_limit"]');
    await error.waitFor({ timeout: TIMEOUT });
    assert.match(await error.locator('.retry-note').innerText(), /retry in \d+ s/);
    await screenshot(page, '13-chat-rate-limit', false);
    await error.locator('#errorRetry').click();
    await lastReply().locator('.usage').waitFor({ timeout: TIMEOUT });
  });

  test('no credits: the error offers the credits page', async () => {
    await emulatorControl('faults', { route: '/chat/completions', status: 402, times: 1 });
    await send('Hello again');
    const error = lastReply().locator('.chat-error[data-kind="credits"]');
    await error.waitFor({ timeout: TIMEOUT });
    await error.locator('#errorAddCredits').click();
    assert.deepEqual(view.commands.at(-1), { command: 'openExternal', arg: 'https://openrouter.ai/settings/credits' });
  });

  test('no API key: the error opens the settings', async () => {
    await server.request('openrouter/apiKey/clear', {});
    await page.locator('#chatModel', { hasText: 'no API key' }).waitFor({ timeout: TIMEOUT });
    await send('Anyone there?');
    const error = lastReply().locator('.chat-error[data-kind="no_api_key"]');
    await error.waitFor({ timeout: TIMEOUT });
    await error.locator('#errorOpenSettings').click();
    assert.deepEqual(view.commands.at(-1), { command: 'openSettings', arg: undefined });
    await screenshot(page, '14-chat-no-key', false);
  });

  test('the page raised no console errors and no CSP violations', () => {
    assert.deepEqual(view.problems, []);
  });
});
