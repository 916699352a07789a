/**
 * The "OpenAI Compatible" API provider, in headless Chromium, against the real language server
 * and emulator: picking it greys out and disables the OpenRouter-only sections (transforms,
 * provider routing), it is saved, and a chat through the chat view then sends a plain OpenAI
 * body (no `provider`, `transforms`, `plugins`, `usage`, no attribution headers) — while
 * switching back to OpenRouter sends them again.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, Locator, Page } from 'playwright-core';
import {
  launchBrowser, openWebview, screenshot, serveWebviews, startEmulator, startServer, TEST_KEY,
  type Emulator, type LanguageServer, type OpenedWebview, closeAll } from './harness';
import { choose, savePanel } from './panelActions';
import type { SettingsView } from '../../src/wire';

const TIMEOUT = 30000;
/** The sections the panel greys out and disables unless the provider is OpenRouter. */
const OPENROUTER_ONLY = ['Reasoning and Output', 'Transforms', 'Provider Routing', 'Advanced routing'];
/** Titles as patterns: the key's section says "OpenRouter" only while OpenRouter is the provider. */
const ALWAYS_ENABLED = ['API Provider', '(?:OpenRouter )?API Key', 'Model', 'Base URL', 'Prompt Caching'];
/** Fields of the request body that only OpenRouter understands. */
const OPENROUTER_BODY_FIELDS = ['provider', 'transforms', 'plugins', 'usage', 'session_id'];

let emulator: Emulator;
let server: LanguageServer;
let web: Awaited<ReturnType<typeof serveWebviews>>;
let browser: Browser;
let settingsView: OpenedWebview;
let chatView: OpenedWebview;
let panel: Page;
let chat: Page;

interface RecordedRequest {
  seq: number; method: string; path: string; headers: Record<string, string>; body: unknown; status: number | null;
}

async function emulatorControl(path: string, method = 'GET'): Promise<unknown> {
  const res = await fetch(`${emulator.origin}/_emulator/${path}`, { method });
  assert.ok(res.ok, `emulator ${path}: ${res.status}`);
  return res.json().catch(() => null);
}

async function chatRequests(): Promise<RecordedRequest[]> {
  const { requests } = (await emulatorControl('requests')) as { requests: RecordedRequest[] };
  return requests.filter((r) => r.method === 'POST' && r.path.endsWith('/chat/completions'));
}

async function settings(): Promise<SettingsView> {
  return server.request('openrouter/settings/get', {});
}

const save = (): Promise<void> => savePanel(panel);

function sectionNamed(title: string): Locator {
  return panel.locator('section.section').filter({ has: panel.locator('h2', { hasText: new RegExp(`^${title}$`) }) });
}

/** What the user sees of a section: greyed out and unclickable, or not. */
async function sectionLook(title: string): Promise<{ disabledClass: boolean; opacity: number; pointerEvents: string; inert: boolean }> {
  const s = sectionNamed(title);
  assert.equal(await s.count(), 1, `one section titled ${title}`);
  return s.evaluate((el) => {
    const style = getComputedStyle(el);
    return {
      disabledClass: el.classList.contains('disabled'), opacity: Number(style.opacity), pointerEvents: style.pointerEvents,
      inert: (el as HTMLElement).inert,
    };
  });
}

async function expectSectionsEnabled(titles: string[], enabled: boolean): Promise<void> {
  for (const title of titles) {
    const look = await sectionLook(title);
    if (enabled) assert.deepEqual(look, { disabledClass: false, opacity: 1, pointerEvents: 'auto', inert: false }, title);
    else {
      assert.equal(look.inert, true, `${title} is out of the tab order (inert)`);
      assert.equal(look.disabledClass, true, `${title} is marked disabled`);
      assert.ok(look.opacity < 1, `${title} is greyed out (opacity ${look.opacity})`);
      assert.equal(look.pointerEvents, 'none', `${title} takes no clicks`);
    }
  }
}

const checked = (id: string): Promise<boolean> =>
  panel.evaluate((sel) => (document.querySelector(sel) as unknown as { checked: boolean }).checked, `#${id}`);

async function sendChat(text: string): Promise<void> {
  const replies = await chat.locator('.message.assistant').count();
  await chat.locator('#input textarea').fill(text);
  await chat.locator('#send').click();
  await chat.locator('.message.assistant').nth(replies).locator('.usage').waitFor({ timeout: 60000 });
}

describe('OpenAI Compatible provider (settings panel and chat view, real server, real emulator)', { timeout: 240000 }, () => {
  before(async () => {
    emulator = await startEmulator();
    server = await startServer('openai-compatible-server');
    // An OpenRouter set-up with routing and transforms chosen, pointed at the emulator.
    await server.request('openrouter/settings/update', {
      patch: {
        useCustomBaseUrl: true, customBaseUrl: emulator.baseUrl, modelId: 'openai/gpt-4o',
        middleOutTransform: true, routing: { sort: 'price', provider: null, dataPolicy: 'deny' },
      },
    });
    await server.request('openrouter/apiKey/set', { apiKey: TEST_KEY });
    web = await serveWebviews();
    browser = await launchBrowser();
    settingsView = await openWebview(browser, web.origin, 'settings', server);
    panel = settingsView.page;
    chatView = await openWebview(browser, web.origin, 'chat', server, { width: 440, height: 820 });
    chat = chatView.page;
  });

  after(() => closeAll(chatView, settingsView, browser, web, server, emulator));

  test('with OpenRouter, every section is enabled', async () => {
    await panel.locator('#apiKeyStatus', { hasText: 'Key set' }).waitFor({ timeout: TIMEOUT });
    await panel.locator('#dataPolicyHelp', { hasText: /are not allowed/ }).waitFor({ timeout: TIMEOUT });
    assert.equal((await settings()).provider, 'openrouter');
    await expectSectionsEnabled([...ALWAYS_ENABLED, ...OPENROUTER_ONLY], true);
  });

  test('choosing OpenAI Compatible greys out and disables the OpenRouter-only sections; it is saved', async () => {
    await choose(panel.locator('#provider'), 'OpenAI Compatible');
    await panel.locator('#saveStatus', { hasText: 'Unsaved changes' }).waitFor();
    await panel.waitForFunction(() => document.querySelector('#routingSection')?.classList.contains('disabled'), undefined, { timeout: TIMEOUT });
    // A click on a disabled control changes nothing: it does not even reach the control.
    const before = await checked('middleOutTransform');
    await panel.locator('#middleOutTransform').click({ force: true });
    await panel.locator('#sort').click({ force: true });
    assert.equal(await checked('middleOutTransform'), before, 'the middle-out box did not toggle');
    assert.equal(await panel.locator('#sort [role="option"]:visible').count(), 0, 'the sort list did not open');
    await expectSectionsEnabled(OPENROUTER_ONLY, false);
    await expectSectionsEnabled(ALWAYS_ENABLED, true);
    await screenshot(panel, '21-settings-openai-compatible');
    await save();
    const s = await settings();
    assert.equal(s.provider, 'openai-compatible');
    // The OpenRouter-only choices are kept, only unused, for a switch back.
    assert.equal(s.middleOutTransform, true);
    assert.equal(s.routing.sort, 'price');
    // Saved, not just shown: a fresh page shows the same.
    await panel.reload();
    await panel.locator('#apiKeyStatus', { hasText: 'Key set' }).waitFor({ timeout: TIMEOUT });
    await panel.waitForFunction(() => (document.querySelector('#provider') as unknown as { value: string }).value === 'openai-compatible',
      undefined, { timeout: TIMEOUT });
    await expectSectionsEnabled(OPENROUTER_ONLY, false);
  });

  test('a chat then sends a plain OpenAI body to the server at the base URL', async () => {
    await emulatorControl('requests', 'DELETE');
    await chat.locator('#chatModelId', { hasText: 'openai/gpt-4o' }).waitFor({ timeout: TIMEOUT });
    await sendChat('Hello from an OpenAI-compatible client.');
    assert.ok((await chat.locator('.message.assistant .content').last().innerText()).length > 0);
    assert.match(await chat.locator('.message.assistant .usage').last().innerText(), /\d+ in · \d+ out/);
    await screenshot(chat, '22-chat-openai-compatible', false);
    const requests = await chatRequests();
    assert.equal(requests.length, 1, JSON.stringify(requests.map((r) => r.path)));
    const { body, headers, status } = requests[0]!;
    assert.equal(status, 200);
    const fields = body as Record<string, unknown>;
    assert.equal(fields.model, 'openai/gpt-4o');
    assert.equal(fields.stream, true);
    assert.ok(Array.isArray(fields.messages) && fields.messages.length > 0);
    for (const name of OPENROUTER_BODY_FIELDS) assert.ok(!(name in fields), `no ${name} in ${JSON.stringify(fields)}`);
    const headerNames = Object.keys(headers).map((h) => h.toLowerCase());
    assert.equal(headers[Object.keys(headers).find((h) => h.toLowerCase() === 'authorization')!], `Bearer ${TEST_KEY}`);
    for (const name of ['http-referer', 'x-title', 'x-openrouter-title']) assert.ok(!headerNames.includes(name), `no ${name} header`);
  });

  test('back to OpenRouter: the sections are enabled again and the chat sends routing and transforms', async () => {
    await choose(panel.locator('#provider'), 'OpenRouter');
    await panel.waitForFunction(() => !document.querySelector('#routingSection')?.classList.contains('disabled'), undefined, { timeout: TIMEOUT });
    await expectSectionsEnabled([...ALWAYS_ENABLED, ...OPENROUTER_ONLY], true);
    await save();
    assert.equal((await settings()).provider, 'openrouter');
    await emulatorControl('requests', 'DELETE');
    await sendChat('And now through OpenRouter.');
    const requests = await chatRequests();
    assert.equal(requests.length, 1);
    const fields = requests[0]!.body as Record<string, unknown>;
    assert.deepEqual(fields.transforms, ['middle-out']);
    assert.equal((fields.provider as { sort?: string } | undefined)?.sort, 'price');
    assert.equal((fields.provider as { data_collection?: string } | undefined)?.data_collection, 'deny');
  });

  test('the pages raised no console errors and no CSP violations', () => {
    assert.deepEqual(settingsView.problems, []);
    assert.deepEqual(chatView.problems, []);
  });
});
