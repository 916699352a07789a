/**
 * A stored provider pin the model's endpoints do not list, in the settings panel (headless
 * Chromium, real server, real emulator). The state folder is left as by an earlier session:
 * GPT-4o pinned to Amazon Bedrock, which the emulator does not list for it (only OpenAI and
 * Azure). The server says "not_served"; the panel shows its sentence beside the sort control,
 * hides it once a provider the model serves is chosen, and shows none for a served pin.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import {
  axeViolations, closeAll, launchBrowser, openWebview, screenshot, serveWebviews, startEmulator, startServer, TEST_KEY,
  type AxeViolation, type Emulator, type LanguageServer, type OpenedWebview,
} from './harness';
import { choose, savePanel } from './panelActions';
import type { SettingsView } from '../../src/wire';

const TIMEOUT = 30000;
const GPT = 'openai/gpt-4o';
const HAIKU = 'anthropic/claude-haiku-4.5';
let emulator: Emulator;
let server: LanguageServer;
let web: Awaited<ReturnType<typeof serveWebviews>>;
let browser: Browser;
let view: OpenedWebview;
let page: Page;
let violationsWithWarning: AxeViolation[] | undefined;

async function settings(): Promise<SettingsView> {
  return server.request('openrouter/settings/get', {});
}

const save = (): Promise<void> => savePanel(page);

/** Rule and element, so two axe runs can be compared. */
function violationKeys(violations: AxeViolation[]): string[] {
  return violations.map((v) => `${v.id} @ ${v.targets.join(' ')}`);
}

describe('a stored provider pin the model does not serve (settings panel, real server and emulator)', { timeout: 240000 }, () => {
  before(async () => {
    emulator = await startEmulator();
    server = await startServer('server-provider-pin', {}, {
      'settings.json': {
        modelId: GPT,
        useCustomBaseUrl: true,
        customBaseUrl: emulator.baseUrl,
        providerPins: { [GPT]: 'amazon-bedrock' },
      },
    });
    await server.request('openrouter/apiKey/set', { apiKey: TEST_KEY });
    web = await serveWebviews();
    browser = await launchBrowser();
    view = await openWebview(browser, web.origin, 'settings', server);
    page = view.page;
  });

  after(() => closeAll(view, browser, web, server, emulator));

  test('the warning names the unserved pin, right under the sort control, and describes it', async () => {
    const warning = page.locator('#pinWarning');
    await warning.waitFor({ state: 'visible', timeout: TIMEOUT });
    const text = await warning.innerText();
    assert.match(text, /amazon-bedrock does not serve openai\/gpt-4o/);
    // The panel shows the server's sentence as it is.
    const pin = (await settings()).providerPin;
    assert.equal(pin.state, 'not_served');
    assert.equal(text.trim(), pin.message);
    assert.equal(await warning.getAttribute('role'), 'status');
    assert.equal(await page.locator('#sort').getAttribute('aria-describedby'), 'pinWarning');
    // Beside the sort control: below it, before the providers note, with nothing but the
    // (hidden) field errors of the routing choice between them.
    const between = await page.evaluate(() => {
      const names: string[] = [];
      for (let el = document.querySelector('#sort')!.nextElementSibling; el && el.id !== 'pinWarning'; el = el.nextElementSibling) {
        names.push((el as HTMLElement).hidden ? 'hidden' : el.id || el.className);
      }
      return names;
    });
    assert.deepEqual(between, ['hidden', 'hidden']);
    const sortBox = (await page.locator('#sort').boundingBox())!;
    const warningBox = (await warning.boundingBox())!;
    assert.ok(warningBox.y >= sortBox.y + sortBox.height && warningBox.y - (sortBox.y + sortBox.height) < 24,
      `the warning is ${warningBox.y - (sortBox.y + sortBox.height)} px below the select`);
    // Styled with the theme's warning colour.
    const border = await warning.evaluate((el) => getComputedStyle(el).borderLeftColor);
    assert.equal(border, 'rgb(204, 167, 0)');
    await page.waitForFunction(() => (document.querySelector('#sort') as unknown as { value: string }).value === 'provider:amazon-bedrock');
    await screenshot(page, 'pin-01-not-served');
    violationsWithWarning = await axeViolations(view);
  });

  test('choosing a provider the model serves hides the warning, and the saved pin is served', async () => {
    await page.locator('#endpointsNote', { hasText: /2 providers serve openai\/gpt-4o/ }).waitFor({ timeout: TIMEOUT });
    await choose(page.locator('#sort'), /^Provider: Azure/);
    await page.locator('#pinWarning').waitFor({ state: 'hidden', timeout: TIMEOUT });
    assert.equal(await page.locator('#sort').getAttribute('aria-describedby'), null);
    await save();
    const s = await settings();
    assert.equal(s.routing.provider, 'azure');
    assert.equal(s.providerPin.state, 'ok');
    assert.equal(await page.locator('#pinWarning').isVisible(), false);
    await screenshot(page, 'pin-02-served');
  });

  test('axe-core finds no violation that the warning brings', async () => {
    assert.ok(violationsWithWarning, 'the first test ran axe with the warning shown');
    const withWarning = violationsWithWarning;
    const without = new Set(violationKeys(await axeViolations(view)));
    const added = violationKeys(withWarning).filter((key) => !without.has(key));
    assert.deepEqual(added, []);
    // Nor any on the warning or the select it describes.
    const onTheControl = withWarning.filter((v) => v.targets.some((t) => /#pinWarning|#sort\b/.test(t)));
    assert.deepEqual(onTheControl, []);
  });

  test('didChange from elsewhere brings the warning back, then takes it away', async () => {
    await server.request('openrouter/settings/update', { patch: { routing: { provider: 'amazon-bedrock' } } });
    await page.locator('#pinWarning', { hasText: 'amazon-bedrock does not serve openai/gpt-4o' }).waitFor({ timeout: TIMEOUT });
    await server.request('openrouter/settings/update', { patch: { routing: { provider: 'azure' } } });
    await page.locator('#pinWarning').waitFor({ state: 'hidden', timeout: TIMEOUT });
  });

  test('Claude Haiku 4.5 pinned to Amazon Bedrock, which serves it, shows no warning', async () => {
    await page.locator('#modelSearch').fill('claude-haiku-4.5');
    await page.locator(`.model-row[data-id="${HAIKU}"]`).click();
    await save();
    assert.equal((await settings()).modelId, HAIKU);
    await page.locator('#endpointsNote', { hasText: `serve ${HAIKU}` }).waitFor({ timeout: TIMEOUT });
    await choose(page.locator('#sort'), /^Provider: Amazon Bedrock/);
    await save();
    const s = await settings();
    assert.equal(s.routing.provider, 'amazon-bedrock');
    assert.equal(s.providerPin.state, 'ok', JSON.stringify(s.providerPin));
    assert.equal(await page.locator('#pinWarning').isVisible(), false);
    assert.equal(await page.locator('#sort').getAttribute('aria-describedby'), null);
    // The one-provider advice still shows: only the unserved-pin warning is absent.
    assert.equal(await page.locator('#providerWarning').isVisible(), true);
    // GPT-4o's pin was kept for it: switching back restores azure, served, so still no warning.
    await page.locator('#modelSearch').fill('gpt-4o');
    await page.locator(`.model-row[data-id="${GPT}"]`).click();
    await save();
    const back = await settings();
    assert.equal(back.routing.provider, 'azure');
    assert.equal(back.providerPin.state, 'ok');
    assert.equal(await page.locator('#pinWarning').isVisible(), false);
    await screenshot(page, 'pin-03-haiku-bedrock');
  });

  test('the page raised no console errors and no CSP violations', () => {
    assert.deepEqual(view.problems, []);
  });
});
