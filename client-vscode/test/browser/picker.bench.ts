/**
 * How soon the settings panel's model picker shows a 5,000-model catalogue: the page asks for a
 * page of it (this build) or for all of it (a "before" build given with `--before`), in headless
 * Chromium against the real server, whose upstream is bench/floor_upstream.py's synthetic
 * catalogue (`/synth/`). Rounds alternate between the builds so that both see the same load.
 *
 *   node scripts/build.mjs && OPENROUTER_LSP_PYTHON=/work/main/.venv/bin/python PYTHONPATH=$PWD/../server \
 *     node out/test/browser/picker.bench.js [--before ../../base/client-vscode/dist/webview] [--rounds 10]
 *
 * Per round, from the start of the page's load: the settings shown (the panel's own floor), the count line ("5,000 models"), the first row
 * of the opened listbox, and the card of a model near the end of the catalogue. Also the
 * models/list round trip over the server's stdio (JSON-RPC, warm catalogue): a page of 100 and
 * the whole list.
 */
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import type { Browser } from 'playwright-core';
import {
  closeAll, launchBrowser, openWebview, PYTHON, REPO, serveWebviews, startServer, TEST_KEY, type LanguageServer,
} from './harness';

interface Round { settings: number; count: number; firstRow: number; card: number }

function option(name: string): string | undefined {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 ? process.argv[at + 1] : undefined;
}

async function startFloor(): Promise<{ baseUrl: string; stop(): void }> {
  const child = spawn(PYTHON, [resolve(REPO, 'bench', 'floor_upstream.py')], { stdio: ['ignore', 'pipe', 'inherit'] });
  const origin = await new Promise<string>((ok, fail) => {
    let text = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      text += chunk.toString();
      const found = /listening on (http:\/\/\S+)/.exec(text);
      if (found) ok(found[1]!);
    });
    child.once('exit', (code) => fail(new Error(`floor_upstream exited with ${code}`)));
  });
  return { baseUrl: `${origin}/synth/api/v1`, stop: () => child.kill('SIGTERM') };
}

async function roundTrip(server: LanguageServer, params: Record<string, unknown>, rounds: number): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const start = performance.now();
    await server.request('openrouter/models/list', params);
    times.push(performance.now() - start);
  }
  return times;
}

async function panelRound(browser: Browser, origin: string, server: LanguageServer, farId: string): Promise<Round> {
  const view = await openWebview(browser, origin, 'settings', server);
  try {
    const { page } = view;
    // Measured inside the page, from its navigation start (the panel opening). The settings
    // shown (the text box holds the model id) is the panel's own floor: the same in both builds.
    await page.waitForFunction(() => (document.querySelector('#modelSearch') as HTMLInputElement | null)?.value !== '',
      undefined, { timeout: 60000 });
    const settings = await page.evaluate(() => performance.now());
    await page.locator('#modelCount', { hasText: /^[\d,]+ models$/ }).waitFor({ timeout: 60000 });
    const count = await page.evaluate(() => performance.now());
    await page.locator('#modelSearch').click();
    await page.locator('#modelList .model-row').first().waitFor({ timeout: 60000 });
    const firstRow = await page.evaluate(() => performance.now());
    await page.locator('#modelCurrent', { hasText: farId }).waitFor({ timeout: 60000 });
    await page.locator('#cardPrices').waitFor({ timeout: 60000 });
    const card = await page.evaluate(() => performance.now());
    if (view.problems.length > 0) throw new Error(view.problems.join('\n'));
    return { settings, count, firstRow, card };
  } finally {
    await view.close();
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function line(name: string, values: number[]): string {
  return `${name.padEnd(44)} median ${median(values).toFixed(1).padStart(7)} ms  (min ${Math.min(...values).toFixed(1)}, max ${Math.max(...values).toFixed(1)}, n=${values.length})`;
}

async function main(): Promise<void> {
  const rounds = Number(option('rounds') ?? 10);
  const beforeDir = option('before');
  const floor = await startFloor();
  const server = await startServer('server-picker-bench', {}, {
    'settings.json': { useCustomBaseUrl: true, customBaseUrl: floor.baseUrl },
  });
  const builds: Array<{ name: string; web: Awaited<ReturnType<typeof serveWebviews>> }> = [
    { name: 'paged (this build)', web: await serveWebviews() },
  ];
  if (beforeDir) builds.push({ name: 'whole list (--before)', web: await serveWebviews(resolve(beforeDir)) });
  const browser = await launchBrowser();
  try {
    await server.request('openrouter/apiKey/set', { apiKey: TEST_KEY });
    const first = await server.request('openrouter/models/list', { limit: 1 });
    // A model near the end: the card must not wait for the pages before it.
    const farId = (await server.request('openrouter/models/list', { limit: 1, offset: first.total - 10 })).models[0]!.id;
    await server.request('openrouter/settings/update', { patch: { modelId: farId } });
    const total = (await server.request('openrouter/models/list', { limit: 1 })).total;
    console.log(`catalogue: ${total.toLocaleString('en-US')} models at ${floor.baseUrl}; card model ${farId}`);
    console.log(line('models/list round trip, limit 100', await roundTrip(server, { limit: 100 }, 30)));
    console.log(line('models/list round trip, whole list', await roundTrip(server, {}, 10)));
    console.log(line('models/list round trip, ids [one]', await roundTrip(server, { ids: [farId] }, 30)));
    const results = new Map<string, Round[]>(builds.map((b) => [b.name, []]));
    await panelRound(browser, builds[0]!.web.origin, server, farId); // warm-up: Chromium's caches
    for (let i = 0; i < rounds; i++) {
      for (const build of i % 2 ? [...builds].reverse() : builds) {
        results.get(build.name)!.push(await panelRound(browser, build.web.origin, server, farId));
      }
    }
    for (const [name, list] of results) {
      console.log(`${name}:`);
      console.log(line('  panel opening -> settings shown', list.map((r) => r.settings)));
      console.log(line('  panel opening -> "N models" shown', list.map((r) => r.count)));
      console.log(line('  panel opening -> first row in the listbox', list.map((r) => r.firstRow)));
      console.log(line('  panel opening -> card of the chosen model', list.map((r) => r.card)));
    }
  } finally {
    await closeAll(browser, ...builds.map((b) => b.web), server);
    floor.stop();
  }
}

main().then(() => process.exit(0), (err: unknown) => { console.error(err); process.exit(1); });
