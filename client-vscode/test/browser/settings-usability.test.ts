/**
 * The settings panel's review defects, in headless Chromium against the real server and
 * emulator: text contrast (axe-core) in a dark and a light theme, a 170 px wide panel without
 * clipping, disabled sections out of the keyboard's reach, key labels without "OpenRouter" for an
 * OpenAI-compatible server, Enter saving the base URL, unsaved edits reported to the host (which
 * offers to save them when the panel closes), and the balance refreshed when the panel is shown.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import {
  axeViolations, closeAll, launchBrowser, openWebview, screenshot, serveWebviews, startEmulator, startServer, TEST_KEY,
  type Emulator, type LanguageServer, type OpenedWebview,
} from './harness';
import type { SettingsView } from '../../src/wire';

const TIMEOUT = 30000;
let emulator: Emulator;
let server: LanguageServer;
let web: Awaited<ReturnType<typeof serveWebviews>>;
let browser: Browser;
const opened: OpenedWebview[] = [];

const settings = (): Promise<SettingsView> => server.request('openrouter/settings/get', {});

async function open(viewport = { width: 900, height: 1400 }, theme: 'dark' | 'light' = 'dark', credits = true): Promise<OpenedWebview> {
  const view = await openWebview(browser, web.origin, 'settings', server, viewport, theme);
  opened.push(view);
  await view.page.locator('#apiKeyStatus', { hasText: /Key set/ }).waitFor({ timeout: TIMEOUT });
  await view.page.locator('#modelCount', { hasText: /\d+ models/ }).waitFor({ timeout: TIMEOUT });
  if (credits) await view.page.locator('#credits', { hasText: /^(Balance: \$|Credits left: \$|No credit limit)/ }).waitFor({ timeout: TIMEOUT });
  return view;
}

async function openAdvanced(page: Page): Promise<void> {
  await page.locator('#advancedRouting > summary').click();
  await page.locator('#modelVariant').waitFor({ state: 'visible' });
}

/** Elements of the page (light DOM and the custom elements' boxes) that reach past its right edge. */
async function overflowing(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const width = document.documentElement.clientWidth;
    const out: string[] = [];
    for (const el of Array.from(document.querySelectorAll<HTMLElement>('body *'))) {
      const rect = el.getBoundingClientRect();
      if (rect.width === 0 || rect.height === 0) continue;
      if (el.closest('[popover], vscode-single-select')) continue; // a dropdown list sizes itself
      // A data table scrolls sideways inside its own region (WCAG 1.4.10 allows it); the region itself must fit.
      const scroller = el.parentElement?.closest('.table-scroll');
      if (scroller && getComputedStyle(scroller).overflowX === 'auto') continue;
      if (rect.right > width + 0.5 || rect.left < -0.5) out.push(`${el.tagName.toLowerCase()}#${el.id}.${el.className} ${Math.round(rect.left)}..${Math.round(rect.right)}`);
    }
    if (document.documentElement.scrollWidth > width) out.push(`page scrolls sideways: ${document.documentElement.scrollWidth} > ${width}`);
    return out;
  });
}

async function emulatorRequests(): Promise<Array<{ method: string; path: string }>> {
  const res = await fetch(`${emulator.origin}/_emulator/requests`);
  return ((await res.json()) as { requests: Array<{ method: string; path: string }> }).requests;
}

describe('settings panel usability (contrast, narrow widths, keyboard, labels, unsaved edits)', { timeout: 300000 }, () => {
  before(async () => {
    emulator = await startEmulator();
    server = await startServer('settings-usability-server');
    await server.request('openrouter/settings/update', { patch: { useCustomBaseUrl: true, customBaseUrl: emulator.baseUrl } });
    await server.request('openrouter/apiKey/set', { apiKey: TEST_KEY });
    web = await serveWebviews();
    browser = await launchBrowser();
  });

  after(() => closeAll(...opened, browser, web, server, emulator));

  for (const theme of ['dark', 'light'] as const) {
    test(`no axe-core violations (text contrast included) in a ${theme} theme, Advanced routing open`, async () => {
      const view = await open({ width: 900, height: 1400 }, theme);
      await openAdvanced(view.page);
      // An error shown beside a field is text too.
      await view.page.locator('#preferredMaxLatency input').fill('-1');
      await view.page.locator('#save').click();
      await view.page.locator('.field-error[data-path="routing.preferredMaxLatency"]').waitFor({ state: 'visible', timeout: TIMEOUT });
      const violations = await axeViolations(view);
      await screenshot(view.page, `usability-${theme}`);
      assert.deepEqual(violations, [], JSON.stringify(violations, null, 1));
      await view.page.locator('#discard').click();
      await view.close();
      opened.splice(opened.indexOf(view), 1);
    });
  }

  test('a 170 px wide panel clips nothing and never scrolls sideways', async () => {
    const view = await open({ width: 170, height: 900 });
    await openAdvanced(view.page);
    const problems = await overflowing(view.page);
    await screenshot(view.page, 'usability-170px');
    assert.deepEqual(problems, []);
    await view.close();
    opened.splice(opened.indexOf(view), 1);
  });

  test('OpenAI Compatible: the OpenRouter-only sections take no keyboard focus and the key labels do not say OpenRouter', async () => {
    await server.request('openrouter/settings/update', { patch: { provider: 'openai-compatible' } });
    const view = await open(undefined, 'dark', false);
    const page = view.page;
    await page.waitForFunction(() => (document.querySelector('#routingSection') as HTMLElement | null)?.inert === true);
    // Tab through the whole page: focus never lands in a disabled section.
    await page.locator('#provider').focus();
    const visited = new Set<string>();
    for (let i = 0; i < 80; i++) {
      await page.keyboard.press('Tab');
      const where = await page.evaluate(() => {
        const el = document.activeElement as HTMLElement | null;
        return { id: el?.id ?? '', inDisabled: Boolean(el?.closest('.section.disabled')) };
      });
      assert.equal(where.inDisabled, false, `Tab reached #${where.id} in a disabled section`);
      visited.add(where.id);
    }
    assert.ok(visited.has('promptCaching'), `the enabled sections stay reachable: ${[...visited].join(' ')}`);
    const keySection = page.locator('#keySection');
    assert.equal(await keySection.locator('h2').innerText(), 'API Key');
    assert.equal(await page.locator('#apiKey').getAttribute('aria-label'), 'API key');
    assert.doesNotMatch(await keySection.innerText(), /OpenRouter/);
    assert.equal(await page.locator('#signIn').isVisible(), false, 'no Sign in with OpenRouter for another server');
    assert.equal(await page.locator('#getKeyLink').isVisible(), false);
    await screenshot(page, 'usability-openai-compatible');
    assert.deepEqual(await axeViolations(view), [], 'the disabled sections are announced correctly too');
    await server.request('openrouter/settings/update', { patch: { provider: 'openrouter' } });
    await page.waitForFunction(() => (document.querySelector('#routingSection') as HTMLElement | null)?.inert === false);
    assert.equal(await keySection.locator('h2').innerText(), 'OpenRouter API Key');
    await view.close();
    opened.splice(opened.indexOf(view), 1);
  });

  test('Enter in the base URL field saves it, as Enter in the key field does', async () => {
    const view = await open();
    const page = view.page;
    const field = page.locator('#customBaseUrl input');
    await field.fill(`${emulator.baseUrl}/`);
    await page.locator('#saveStatus', { hasText: 'Unsaved changes' }).waitFor();
    await field.press('Enter');
    await page.locator('#saveStatus', { hasText: /^Saved$/ }).waitFor({ timeout: TIMEOUT });
    assert.equal((await settings()).customBaseUrl, `${emulator.baseUrl}/`);
    await view.close();
    opened.splice(opened.indexOf(view), 1);
  });

  test('unsaved edits are reported to the host with the patch it would save; the typed key never is', async () => {
    const view = await open();
    const page = view.page;
    await openAdvanced(page);
    await page.locator('#modelVariant').click();
    await page.locator('#modelVariant').getByRole('option', { name: /^Floor/ }).click();
    await page.locator('#saveStatus', { hasText: 'Unsaved changes' }).waitFor();
    await page.waitForFunction(() => true);
    const last = (): (typeof view.dirtyReports)[number] | undefined => view.dirtyReports.at(-1);
    await waitUntil(() => last()?.dirty === true);
    assert.deepEqual(last()!.patch, { modelVariant: 'floor' });
    await page.locator('#apiKey input').fill('sk-or-v1-typed-but-not-saved');
    await waitUntil(() => last()?.keyTyped === true);
    assert.ok(!JSON.stringify(view.dirtyReports).includes('typed-but-not-saved'), 'the key stays in the page');
    await page.locator('#discard').click();
    await waitUntil(() => last()?.dirty === false);
    assert.equal(last()!.patch, null);
    await view.close();
    opened.splice(opened.indexOf(view), 1);
  });

  test('the balance is read again when the panel is shown again', async () => {
    const view = await open();
    const before = (await emulatorRequests()).filter((r) => r.path.endsWith('/key') || r.path.endsWith('/credits')).length;
    view.post({ type: 'visible' });
    await waitUntil(async () => (await emulatorRequests()).filter((r) => r.path.endsWith('/key') || r.path.endsWith('/credits')).length > before);
    await view.page.locator('#credits', { hasText: /credit|Balance/i }).waitFor({ timeout: TIMEOUT });
    await view.close();
    opened.splice(opened.indexOf(view), 1);
  });

  test('the key line and the balance say what the server says of them (verdict and balance when it sends them)', async () => {
    const view = await open();
    const page = view.page;
    const account = (await server.request('openrouter/account/get', {})) as Record<string, unknown>;
    const key = (await settings()).apiKey as Record<string, unknown>;
    const credits = await page.locator('#credits').innerText();
    assert.equal(typeof account.balanceUsd, 'number', 'the emulator serves /credits');
    assert.match(credits, /^Balance: \$/, credits);
    const status = page.locator('#apiKeyStatus');
    if (key.verdict === 'accepted') await status.filter({ hasText: /^Key set and accepted: sk-or-v1-/ }).waitFor({ timeout: TIMEOUT });
    else if (key.verdict === undefined || key.verdict === null) assert.match(await status.innerText(), /^Key set: sk-or-v1-/);
    // A key the service refuses is never shown as simply "set".
    await server.request('openrouter/apiKey/set', { apiKey: 'sk-or-v1-not-a-key-the-emulator-knows-0000' });
    const after = (await settings()).apiKey as Record<string, unknown>;
    if ('verdict' in after) {
      await status.filter({ hasText: /^Key rejected: / }).waitFor({ timeout: TIMEOUT });
    } else {
      await status.filter({ hasText: /…0000/ }).waitFor({ timeout: TIMEOUT });
    }
    await server.request('openrouter/apiKey/set', { apiKey: TEST_KEY });
    await status.filter({ hasText: /…1c96/ }).waitFor({ timeout: TIMEOUT });
    await view.close();
    opened.splice(opened.indexOf(view), 1);
  });

  test('the pages raised no console errors and no CSP violations', () => {
    for (const view of opened) assert.deepEqual(view.problems, []);
  });
});

async function waitUntil(check: () => boolean | Promise<boolean>, timeout = TIMEOUT): Promise<void> {
  const deadline = Date.now() + timeout;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 100));
  }
}
