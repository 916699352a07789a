/**
 * A stand-in for VS Code around a webview: the real page (dist/webview) served over HTTP under
 * its real CSP, in headless Chromium, with `acquireVsCodeApi` bridged to the extension's own
 * WebviewBridge, which talks to the real language server over vscode-jsonrpc. The server's
 * upstream is the real emulator.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { extname, join, normalize, resolve } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import {
  createMessageConnection, ProgressType, StreamMessageReader, StreamMessageWriter, type MessageConnection,
} from 'vscode-jsonrpc/node';
import { WebviewBridge, type EditorActions, type ServerRpc } from '../../src/bridge';
import { renderWebviewHtml } from '../../src/html';
import type { HostCommand, ToHost, ToWebview } from '../../src/shared/messages';
import { signInCallbackUri } from '../../src/signIn';
import { WEBVIEW_NOTIFICATIONS, type Method, type Methods } from '../../src/wire';

export const ROOT = resolve(__dirname, '..', '..', '..');
export const REPO = resolve(ROOT, '..');
export const ARTIFACTS = process.env.OPENROUTER_LSP_ARTIFACTS ?? join(REPO, 'test-artifacts', 'vscode-webview');
export const PYTHON = process.env.OPENROUTER_LSP_PYTHON ?? join(REPO, '.venv', 'bin', 'python');
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const TEST_KEY = 'sk-or-v1-fake-browser-test-key-not-real-1c96';

mkdirSync(ARTIFACTS, { recursive: true });

const children = new Set<ChildProcess>();
function track(child: ChildProcess): ChildProcess {
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}
/** Never leave a server or an emulator behind, whatever happens to the test. */
process.once('exit', () => { for (const c of children) c.kill('SIGKILL'); });

export interface Emulator { baseUrl: string; origin: string; stop(): Promise<void> }

export async function startEmulator(apiKeys: string[] = [TEST_KEY]): Promise<Emulator> {
  const args = ['-m', 'openrouter_emulator', '--port', '0', '--tokens-per-second', '400'];
  for (const key of apiKeys) args.push('--api-key', key);
  const child = track(spawn(PYTHON, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, PYTHONUNBUFFERED: '1' } }));
  child.stderr!.pipe(createWriteStream(join(ARTIFACTS, 'emulator.stderr.log')));
  const baseUrl = await new Promise<string>((resolveUrl, reject) => {
    const timer = setTimeout(() => reject(new Error('the emulator did not start within 30 s')), 30000);
    let buffer = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      const match = /listening on (http:\/\/\S+)/.exec(buffer);
      if (match) { clearTimeout(timer); resolveUrl(match[1]!); }
    });
    child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`the emulator exited with ${code}`)); });
  });
  return { baseUrl, origin: new URL(baseUrl).origin, stop: () => stopChild(child) };
}

export interface LanguageServer {
  connection: MessageConnection;
  rpc: ServerRpc;
  home: string;
  request<M extends Method>(method: M, params: Methods[M]['params']): Promise<Methods[M]['result']>;
  stop(): Promise<void>;
}

/**
 * Starts the server on a fresh state folder. `stateFiles` ({"settings.json": {...}}) are written
 * there as JSON first, as a previous session would have left them. With `home`, the server runs
 * on that existing state folder (a restart) and `stop()` leaves it; `keepHome` leaves a fresh one.
 */
export async function startServer(
  logName = 'server', extraEnv: Record<string, string> = {}, stateFiles: Record<string, unknown> = {},
  options: { home?: string; keepHome?: boolean } = {},
): Promise<LanguageServer> {
  const home = options.home ?? mkdtempSync(join(tmpdir(), 'openrouter-lsp-home-'));
  const removeHome = !options.home && !options.keepHome;
  for (const [name, content] of Object.entries(stateFiles)) writeFileSync(join(home, name), JSON.stringify(content));
  const env: NodeJS.ProcessEnv = { ...process.env, OPENROUTER_LSP_HOME: home, PYTHONUNBUFFERED: '1', ...extraEnv };
  delete env.OPENROUTER_API_KEY;
  if (extraEnv.OPENROUTER_API_KEY) env.OPENROUTER_API_KEY = extraEnv.OPENROUTER_API_KEY;
  // No OS keyring in tests: the key goes to the 0600 file in the temp state folder.
  env.PYTHON_KEYRING_BACKEND = 'keyring.backends.fail.Keyring';
  const child = track(spawn(PYTHON, ['-m', 'openrouter_lsp', '--log-level', 'INFO'], { stdio: ['pipe', 'pipe', 'pipe'], env }));
  const logFile = join(ARTIFACTS, `${logName}.stderr.log`);
  child.stderr!.pipe(createWriteStream(logFile));
  const died = new Promise<never>((_, reject) => child.once('exit', (code, signal) =>
    reject(new Error(`the language server exited (${code ?? signal}); see ${logFile}`))));
  died.catch(() => undefined);
  const connection = createMessageConnection(new StreamMessageReader(child.stdout!), new StreamMessageWriter(child.stdin!));
  // Answer what the server may ask of an editor: no workspace configuration, capabilities accepted.
  connection.onRequest((method: string, params: unknown) => {
    if (method === 'workspace/configuration') {
      const items = (params as { items?: unknown[] } | undefined)?.items ?? [];
      return items.map(() => null);
    }
    return null;
  });
  connection.onNotification(() => undefined);
  connection.listen();
  await withTimeout(Promise.race([died, connection.sendRequest('initialize', {
    processId: process.pid,
    clientInfo: { name: 'openrouter-lsp webview harness' },
    rootUri: null,
    capabilities: { window: { workDoneProgress: true }, workspace: { configuration: true } },
  })]), 30000, 'initialize');
  await connection.sendNotification('initialized', {});
  const rpc: ServerRpc = {
    request: (method, params, token) => connection.sendRequest(method, params, token),
    onProgress: (token, handler) => connection.onProgress(new ProgressType<unknown>(), token, handler),
  };
  return {
    connection,
    rpc,
    home,
    request: (method, params) => connection.sendRequest(method, params) as Promise<never>,
    stop: async () => {
      try {
        await withTimeout(connection.sendRequest('shutdown'), 5000, 'shutdown');
        await connection.sendNotification('exit');
      } catch { /* killed below */ }
      await stopChild(child);
      connection.dispose();
      if (removeHome) rmSync(home, { recursive: true, force: true });
    },
  };
}

const MIME: Record<string, string> = {
  '.js': 'text/javascript', '.css': 'text/css', '.ttf': 'font/ttf', '.map': 'application/json', '.html': 'text/html',
};

/** The editor themes a page can be shown in (test/browser/vscode-<theme>.css). */
export type Theme = 'dark' | 'light';

/**
 * Serves dist/webview and one HTML shell per page (`?theme=light` for the light theme), as VS Code would render it.
 * `webviewDir`: another build's dist/webview (a benchmark's "before").
 */
export async function serveWebviews(webviewDir = join(ROOT, 'dist', 'webview')): Promise<{ origin: string; close(): Promise<void> }> {
  if (!existsSync(join(webviewDir, 'settings.js'))) throw new Error('dist/webview is missing: run npm run build first');
  let origin = '';
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const page = /^\/(settings|chat)\.html$/.exec(url.pathname)?.[1];
    if (page) {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end(renderWebviewHtml({
        cspSource: origin,
        title: page,
        scriptUri: `${origin}/webview/${page}.js`,
        styleUri: `${origin}/webview/${page}.css`,
        codiconUri: `${origin}/webview/codicons/codicon.css`,
        // `?theme=light` shows the page in VS Code's light theme (dark by default).
        extraStyleUris: [`${origin}/theme/vscode-${url.searchParams.get('theme') === 'light' ? 'light' : 'dark'}.css`],
      }));
      return;
    }
    let file: string | undefined;
    if (url.pathname.startsWith('/webview/')) file = normalize(join(webviewDir, url.pathname.slice('/webview/'.length)));
    const theme = /^\/theme\/(vscode-(?:dark|light)\.css)$/.exec(url.pathname)?.[1];
    if (theme) file = join(ROOT, 'test', 'browser', theme);
    if (!file || !(file.startsWith(ROOT) || file.startsWith(webviewDir)) || !existsSync(file)) { res.writeHead(404); res.end(); return; }
    res.writeHead(200, { 'content-type': MIME[extname(file)] ?? 'application/octet-stream' });
    res.end(readFileSync(file));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const address = server.address();
  origin = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  return { origin, close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }) };
}

export async function launchBrowser(): Promise<Browser> {
  // Playwright gives every launch a fresh, temporary --user-data-dir of its own.
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    timeout: 60000,
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
    ],
  });
  return browser;
}

export interface OpenedWebview {
  page: Page;
  /** Commands the page asked the host to run (openSettings, openExternal …). */
  commands: Array<{ command: HostCommand; arg?: string }>;
  /** Console errors and CSP violations seen by the page. */
  problems: string[];
  /** The page's reports of its unsaved edits, newest last (what the extension's panel hears). */
  dirtyReports: Array<Extract<ToHost, { type: 'dirty' }>>;
  /** Posts a host message to the page, as the extension would. */
  post(message: ToWebview): void;
  close(): Promise<void>;
}

/**
 * Opens one webview page, bridged to the server exactly as the extension bridges it. `server`
 * may be a getter (a test that restarts the server); `editor` stands in for VS Code's editor.
 */
export async function openWebview(
  browser: Browser, origin: string, pageName: 'settings' | 'chat', server: LanguageServer | (() => LanguageServer),
  viewport = { width: 900, height: 1400 }, theme: Theme = 'dark', editor?: EditorActions,
): Promise<OpenedWebview> {
  const current = typeof server === 'function' ? server : () => server;
  const context = await browser.newContext({ viewport, deviceScaleFactor: 1 });
  const page = await context.newPage();
  page.setDefaultTimeout(20000);
  const commands: OpenedWebview['commands'] = [];
  const problems: string[] = [];
  page.on('console', (msg) => {
    const text = msg.text();
    if (/Failed to load resource/.test(text)) return; // reported with its URL by the response listener
    if (msg.type() === 'error' || /Content Security Policy|Refused to/.test(text)) problems.push(text);
  });
  page.on('response', (response) => {
    if (response.status() >= 400 && !response.url().endsWith('/favicon.ico')) problems.push(`HTTP ${response.status()} ${response.url()}`);
  });
  page.on('pageerror', (err) => problems.push(`pageerror: ${err.message}`));

  let closed = false;
  const post = (message: ToWebview): void => {
    if (closed) return;
    page.evaluate((m) => window.postMessage(m, '*'), message).catch(() => undefined);
  };
  const dirtyReports: OpenedWebview['dirtyReports'] = [];
  const bridge = new WebviewBridge(() => current().rpc, post, (command, arg) => commands.push({ command, arg }), (message) => {
    if (message.type === 'dirty') dirtyReports.push(message);
    // Desktop VS Code's callback, as asExternalUri leaves it.
    else post({ type: 'hostInfo', signInCallbackUrl: signInCallbackUri('vscode') });
  }, editor);
  const subscriptions = WEBVIEW_NOTIFICATIONS.map((method) => current().connection.onNotification(method, (params: unknown) =>
    post({ type: 'notification', method, params })));
  await page.exposeBinding('__openrouterToHost', (_source, message: ToHost) => bridge.handle(message));
  // VS Code's webview API, kept in sessionStorage so a reload plays the part of a hidden-then-shown view.
  await page.addInitScript(() => {
    const w = window as unknown as { __openrouterToHost(m: unknown): void; acquireVsCodeApi(): unknown };
    w.acquireVsCodeApi = () => ({
      postMessage: (m: unknown) => w.__openrouterToHost(m),
      getState: () => JSON.parse(sessionStorage.getItem('vscode-state') ?? 'null'),
      setState: (s: unknown) => sessionStorage.setItem('vscode-state', JSON.stringify(s)),
    });
  });
  await page.goto(`${origin}/${pageName}.html${theme === 'dark' ? '' : `?theme=${theme}`}`);
  return {
    page,
    commands,
    problems,
    dirtyReports,
    post,
    close: async () => {
      closed = true;
      subscriptions.forEach((s) => s.dispose());
      bridge.dispose();
      await context.close();
    },
  };
}

export async function screenshot(page: Page, name: string, fullPage = true): Promise<string> {
  const file = join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path: file, fullPage });
  return file;
}

export interface AxeViolation { id: string; impact: string | null; help: string; targets: string[] }

/** What axe-core's own probes make the page's CSP report (it sets inline styles to measure). */
const AXE_CSP_NOISE = /^Applying inline style violates the following Content Security Policy directive/;

/**
 * axe-core's violations on the page as it is now (or in the `include` selectors' parts of it),
 * one entry per rule and element. The engine is
 * evaluated through the DevTools protocol, which the page's CSP does not govern; the inline-style
 * reports its probes cause are taken out of `problems`, which keeps every other report.
 */
export async function axeViolations(view: OpenedWebview, include?: string[]): Promise<AxeViolation[]> {
  const { page, problems } = view;
  const before = problems.length;
  const hasAxe = await page.evaluate(() => 'axe' in window);
  if (!hasAxe) await page.evaluate(readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8'));
  const violations = await page.evaluate(async (only) => {
    const axe = (window as unknown as { axe: { run(context?: unknown): Promise<{ violations: Array<{
      id: string; impact?: string | null; help: string; nodes: Array<{ target: unknown[] }>;
    }> }> } }).axe;
    const { violations } = await (only ? axe.run({ include: only.map((selector) => [selector]) }) : axe.run());
    return violations.flatMap((v) => v.nodes.map((n) => ({
      id: v.id, impact: v.impact ?? null, help: v.help, targets: n.target.map(String),
    })));
  }, include);
  // The reports are console events sent before this round trip's answer.
  await page.evaluate(() => undefined);
  const during = problems.splice(before);
  problems.push(...during.filter((text) => !AXE_CSP_NOISE.test(text)));
  return violations;
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise<T>((res, rej) => {
    const timer = setTimeout(() => rej(new Error(`${what} timed out after ${ms} ms`)), ms);
    promise.then((v) => { clearTimeout(timer); res(v); }, (e: unknown) => { clearTimeout(timer); rej(e as Error); });
  });
}

/** Stops whatever a suite started, in order, ignoring what already stopped or never started. */
export async function closeAll(
  ...things: Array<{ close(): Promise<unknown> } | { stop(): Promise<unknown> } | undefined>
): Promise<void> {
  for (const thing of things) {
    if (!thing) continue;
    await ('close' in thing ? thing.close() : thing.stop()).catch(() => undefined);
  }
}
