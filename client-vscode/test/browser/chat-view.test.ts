/**
 * The chat view, in headless Chromium, against the real language server and emulator:
 * streamed Markdown replies (sanitised) with usage and cost, Stop and Esc, code block Copy and
 * Insert, the conversation list (open, rename, export, delete), history across a server
 * restart, regenerate and edit-and-resend, attachments, image paste, errors by kind with the
 * action that fixes them, and axe-core in the dark and light themes.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { copyFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import type { EditorActions } from '../../src/bridge';
import type { AttachmentChip } from '../../src/shared/contract';
import {
  axeViolations, launchBrowser, openWebview, screenshot, serveWebviews, startEmulator, startServer, TEST_KEY, REPO,
  type Emulator, type LanguageServer, type OpenedWebview, closeAll } from './harness';

const TIMEOUT = 30000;
let emulator: Emulator;
let server: LanguageServer;
let home: string;
let web: Awaited<ReturnType<typeof serveWebviews>>;
let browser: Browser;
let view: OpenedWebview;
let page: Page;
/** The documents the editor has open, as the language client syncs them (again after a restart). */
const openDocuments: Array<{ uri: string; languageId: string; version: number; text: string }> = [];

/** The editor the view talks to: what it was asked to do, and the attachment it offers. */
const editor = {
  copied: [] as string[],
  inserted: [] as string[],
  markdownDocuments: [] as string[],
  selection: null as AttachmentChip | null,
};
const editorActions: EditorActions = {
  attachSelection: () => Promise.resolve(editor.selection),
  attachFile: () => Promise.resolve(editor.selection && { attachment: { kind: 'document', uri: editor.selection.attachment.uri }, label: 'file' }),
  insertAtCursor: (text) => { editor.inserted.push(text); return Promise.resolve(true); },
  copy: (text) => { editor.copied.push(text); return Promise.resolve(true); },
  openMarkdown: (text) => { editor.markdownDocuments.push(text); return Promise.resolve(true); },
};

async function emulatorControl(path: string, body?: unknown, method = 'POST'): Promise<unknown> {
  const res = await fetch(`${emulator.origin}/_emulator/${path}`, {
    method, headers: { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body),
  });
  assert.ok(res.ok, `emulator ${path}: ${res.status}`);
  return res.json().catch(() => null);
}

interface SeenRequest { path: string; disconnected: boolean; body: { messages?: Array<{ role: string; content: unknown }> } | null }
async function lastChatRequest(): Promise<SeenRequest> {
  const { requests } = (await emulatorControl('requests', undefined, 'GET')) as { requests: SeenRequest[] };
  const chats = requests.filter((r) => r.path.endsWith('/chat/completions'));
  assert.ok(chats.length > 0, 'the emulator saw a chat request');
  return chats[chats.length - 1]!;
}

async function send(text: string): Promise<void> {
  await page.locator('#input textarea').fill(text);
  await page.locator('#send').click();
}

const lastReply = (): ReturnType<Page['locator']> => page.locator('.message.assistant').last();

async function replyDone(): Promise<void> {
  await lastReply().locator('.usage, .chat-error').first().waitFor({ timeout: 60000 });
  const error = lastReply().locator('.chat-error');
  if (await error.count()) assert.fail(`the reply failed: ${await error.innerText()}`);
  await page.locator('#send').waitFor({ state: 'visible', timeout: TIMEOUT });
}

async function currentConversationId(): Promise<string> {
  const state = await page.evaluate(() => JSON.parse(sessionStorage.getItem('vscode-state') ?? 'null') as { conversationId: string });
  return state.conversationId;
}

describe('chat view (webview in headless Chromium, real server, real emulator)', { timeout: 400000 }, () => {
  before(async () => {
    emulator = await startEmulator();
    server = await startServer('chat-server', {}, {}, { keepHome: true });
    home = server.home;
    await server.request('openrouter/settings/update', {
      patch: { useCustomBaseUrl: true, customBaseUrl: emulator.baseUrl, modelId: 'openai/gpt-4o' },
    });
    await server.request('openrouter/apiKey/set', { apiKey: TEST_KEY });
    web = await serveWebviews();
    browser = await launchBrowser();
    view = await openWebview(browser, web.origin, 'chat', () => server, { width: 440, height: 820 }, 'dark', editorActions);
    page = view.page;
  });

  after(async () => {
    await closeAll(view, browser, web, server, emulator);
    const { rmSync } = await import('node:fs');
    rmSync(home, { recursive: true, force: true });
  });

  test('a reply streams in and ends with a usage and cost line, and the conversation total', async () => {
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
    await replyDone();
    const usage = await lastReply().locator('.usage').innerText();
    assert.match(usage, /\d+ in · \d+ out · \$[\d.]+/);
    assert.ok((await lastReply().locator('.content').innerText()).length > 10);
    // The conversation's total comes from the server's stored totals.
    const { conversation } = await server.request('openrouter/conversations/get', { conversationId: await currentConversationId() });
    assert.equal(conversation.messageCount, 2);
    assert.match(await page.locator('#conversationCost').innerText(), /Conversation: \$[\d.]+ · \d+ in · \d+ out/);
    assert.ok(conversation.totals.costUsd && conversation.totals.costUsd > 0);
    await screenshot(page, '12-chat-reply', false);
  });

  test('the second turn sends only its new message; the server adds the history', async () => {
    await emulatorControl('config', { tokensPerSecond: 2000 });
    await send('And one about editors.');
    await replyDone();
    const body = (await lastChatRequest()).body!;
    assert.deepEqual(body.messages!.map((m) => m.role), ['user', 'assistant', 'user']);
    assert.equal(await page.locator('.message').count(), 4);
  });

  test('Markdown renders; a <script> or onerror in a reply stays inert text', async () => {
    const reply = [
      'Here is **bold** and `inline` code.',
      '',
      '<script>window.__pwned = 1</script>',
      '<img src="x" onerror="window.__pwned = 2">',
      '',
      '- one',
      '- two',
      '',
      '```python',
      'print("hello")',
      '```',
    ].join('\n');
    await emulatorControl('config', { replyText: reply });
    await send('Show me some Markdown.');
    await replyDone();
    const content = lastReply().locator('.content');
    assert.equal(await content.locator('strong').innerText(), 'bold');
    assert.equal(await content.locator('li').count(), 2);
    assert.equal(await content.locator('.code-block pre code').innerText(), 'print("hello")\n');
    assert.equal(await content.locator('script, img, [onerror]').count(), 0);
    assert.match(await content.innerText(), /<script>window.__pwned = 1<\/script>/);
    assert.equal(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned), undefined);
    await screenshot(page, '15-chat-markdown', false);

    await content.locator('.code-copy').click();
    await content.locator('.code-insert').click();
    await page.locator('#composerNotice', { hasText: 'Copied.' }).waitFor();
    assert.deepEqual(editor.copied, ['print("hello")\n']);
    assert.deepEqual(editor.inserted, ['print("hello")\n']);
    await emulatorControl('config', { replyText: null });
  });

  test('regenerate replaces the last reply; the server history is cut first', async () => {
    const id = await currentConversationId();
    const before = (await server.request('openrouter/conversations/get', { conversationId: id })).conversation;
    await emulatorControl('config', { replyText: 'A different answer this time.' });
    await lastReply().locator('.turn-regenerate').click();
    await page.locator('.message.assistant .content', { hasText: 'A different answer this time.' }).waitFor({ timeout: TIMEOUT });
    await replyDone();
    await emulatorControl('config', { replyText: null });
    const afterRegen = (await server.request('openrouter/conversations/get', { conversationId: id })).conversation;
    assert.equal(afterRegen.messageCount, before.messageCount);
    assert.equal(afterRegen.messages.at(-1)!.content, 'A different answer this time.');
    assert.equal(await page.locator('.message').count(), before.messageCount);
    // Upstream saw the history once: no duplicated user message.
    const roles = (await lastChatRequest()).body!.messages!.map((m) => m.role);
    assert.deepEqual(roles, ['user', 'assistant', 'user', 'assistant', 'user']);
  });

  test('edit and resend replaces the message and what followed it', async () => {
    const id = await currentConversationId();
    await page.locator('.message.user').last().locator('.turn-edit').click();
    await page.locator('.edit-input textarea').fill('Show me a table instead.');
    await page.locator('.edit-save').click();
    await page.locator('.message.user', { hasText: 'Show me a table instead.' }).waitFor();
    await replyDone();
    const { conversation } = await server.request('openrouter/conversations/get', { conversationId: id });
    assert.equal(conversation.messageCount, 6);
    assert.equal(conversation.messages[4]!.content, 'Show me a table instead.');
    assert.equal(await page.locator('.message.user', { hasText: 'Show me some Markdown.' }).count(), 0);
  });

  test('a long reply is rendered while it streams, at most once per 100 ms', async () => {
    const paragraph = 'A paragraph with **bold** words and `code`, long enough to matter. ';
    const reply = Array.from({ length: 60 }, (_, i) => `${i + 1}. ${paragraph.repeat(2)}`).join('\n');
    await emulatorControl('config', { replyText: reply, tokensPerSecond: 1500, chunkTokens: 1 });
    const started = Date.now();
    await send('Write a long numbered list.');
    // Sample the streaming reply: rendered as Markdown part-way, and how many renders so far.
    let partWay = false;
    let renders = 0;
    while (await page.locator('#stop').isVisible()) {
      const sample = await page.evaluate(() => {
        const replies = document.querySelectorAll('.message.assistant .content');
        const content = replies[replies.length - 1] as HTMLElement | undefined;
        return { items: content?.querySelectorAll('li').length ?? 0, renders: Number(content?.dataset.renders ?? 0) };
      });
      if (sample.items > 0 && sample.items < 60) partWay = true;
      renders = Math.max(renders, sample.renders);
      await new Promise((r) => setTimeout(r, 50));
    }
    const elapsed = Date.now() - started;
    await replyDone();
    await emulatorControl('config', { replyText: null, tokensPerSecond: 2000, chunkTokens: 1 });
    assert.ok(partWay, 'the list was rendered while it streamed');
    assert.ok(renders >= 2, `rendered ${renders} times while streaming`);
    // ~2,000 tokens arrive in hundreds of increments; the renders follow the clock instead.
    assert.ok(renders <= elapsed / 100 + 2, `${renders} renders in ${elapsed} ms`);
    assert.equal(await lastReply().locator('.content li').count(), 60);
  });

  test('Stop cancels the request and closes the upstream stream; the stopped reply\'s cost follows', async () => {
    await emulatorControl('requests', undefined, 'DELETE');
    // /generation answers 404 for 3 s after the stop, as the real service does for a while.
    await emulatorControl('config', { tokensPerSecond: 3, generationDelaySeconds: 3 });
    await send('Tell me a long story.');
    await page.waitForFunction(() => {
      const replies = document.querySelectorAll('.message.assistant .content');
      return (replies[replies.length - 1]?.textContent ?? '').length > 0;
    }, undefined, { timeout: TIMEOUT });
    await page.locator('#stop').click();
    await lastReply().locator('.stopped').waitFor({ timeout: TIMEOUT });
    // The server keeps the part that streamed; the stream ended before its usage came.
    assert.match(await lastReply().locator('.usage').innerText(), /cost not reported/);
    const costBefore = await page.locator('#conversationCost').innerText();
    // The emulator saw the client go away before the end of the stream.
    const deadline = Date.now() + 10000;
    let disconnected = false;
    while (!disconnected && Date.now() < deadline) {
      disconnected = (await lastChatRequest()).disconnected;
      if (!disconnected) await new Promise((r) => setTimeout(r, 250));
    }
    assert.ok(disconnected, 'the upstream stream was closed');
    // OpenRouter bills the stopped stream: the server reads its cost from /generation, stores it
    // and sends conversations/didChange; the view reads the conversation again.
    await page.waitForFunction(() => {
      const usage = document.querySelectorAll('.message.assistant .usage');
      const text = usage[usage.length - 1]?.textContent ?? '';
      return /\$[\d.]+/.test(text) && !text.includes('cost not reported');
    }, undefined, { timeout: TIMEOUT });
    const { conversation } = await server.request('openrouter/conversations/get', { conversationId: await currentConversationId() });
    const stopped = conversation.messages[conversation.messages.length - 1]!;
    assert.equal(stopped.finishReason, 'cancelled');
    assert.ok(stopped.usage?.costUsd && stopped.usage.costUsd > 0);
    const usage = await lastReply().locator('.usage').innerText();
    assert.match(usage, new RegExp(`^[\\d.]+K? in · ${stopped.usage.completionTokens} out · \\$[\\d.]+`));
    assert.equal(await lastReply().locator('.stopped').count(), 1, 'still marked as stopped');
    assert.notEqual(await page.locator('#conversationCost').innerText(), costBefore, 'the total includes it');
    await emulatorControl('config', { generationDelaySeconds: 1 });
  });

  test('Esc stops a streaming reply', async () => {
    await send('Another long story, please.');
    await page.waitForFunction(() => {
      const replies = document.querySelectorAll('.message.assistant .content');
      return (replies[replies.length - 1]?.textContent ?? '').length > 0;
    }, undefined, { timeout: TIMEOUT });
    await page.keyboard.press('Escape');
    await lastReply().locator('.stopped').waitFor({ timeout: TIMEOUT });
    assert.equal(await page.locator('#send').isVisible(), true);
    await emulatorControl('config', { tokensPerSecond: 2000 });
  });

  test('a reasoning model\'s reasoning is shown in a collapsed block', async () => {
    await server.request('openrouter/settings/update', { patch: { modelId: 'openai/gpt-5.4-mini', reasoningEffort: 'low' } });
    await page.locator('#chatModelId', { hasText: 'openai/gpt-5.4-mini' }).waitFor({ timeout: TIMEOUT });
    await send('Think first, then answer.');
    await replyDone();
    const reasoning = lastReply().locator('details.reasoning');
    assert.equal(await reasoning.getAttribute('open'), null);
    assert.equal(await reasoning.locator('.text').isVisible(), false);
    await reasoning.locator('summary').click();
    assert.match(await reasoning.locator('.text').innerText(), /Synthetic reasoning/);
    assert.doesNotMatch(await lastReply().locator('.content').innerText(), /Synthetic reasoning/);
    await server.request('openrouter/settings/update', { patch: { modelId: 'openai/gpt-4o', reasoningEffort: 'default' } });
    await page.locator('#chatModelId', { hasText: 'openai/gpt-4o' }).waitFor({ timeout: TIMEOUT });
  });

  test('an attached selection reaches the model, read by the server from the synced document', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'chat-attach-'));
    const file = join(folder, 'greet.py');
    const text = 'def greet(name):\n    return f"Hello, {name}"\n\nprint(greet("world"))\n';
    writeFileSync(file, text);
    const uri = pathToFileURL(file).toString();
    // What vscode-languageclient sends for an open editor (documentSelector: file and untitled).
    openDocuments.push({ uri, languageId: 'python', version: 1, text });
    await server.connection.sendNotification('textDocument/didOpen', { textDocument: openDocuments.at(-1) });
    editor.selection = {
      attachment: { kind: 'range', uri, range: { start: { line: 0, character: 0 }, end: { line: 1, character: 30 } } },
      label: 'greet.py:1-2',
    };
    await page.locator('#attachSelection').click();
    await page.locator('#attachments .chip', { hasText: 'greet.py:1-2' }).waitFor();
    await send('What does this function do?');
    await replyDone();
    assert.equal(await page.locator('#attachments .chip').count(), 0);
    await page.locator('.message.user').last().locator('.chip', { hasText: 'greet.py' }).waitFor();
    const sent = JSON.stringify((await lastChatRequest()).body!.messages!.at(-1));
    assert.match(sent, /def greet\(name\)/);
    assert.doesNotMatch(sent, /print\(greet/); // only the selected lines
  });

  test('a pasted image goes to an image model; a text-only model refuses it in the view', async () => {
    // A 1x1 PNG, pasted into the message box.
    const png = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==';
    const paste = (): Promise<void> => page.evaluate((b64) => {
      const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
      const data = new DataTransfer();
      data.items.add(new File([bytes], 'pixel.png', { type: 'image/png' }));
      const target = document.querySelector('#input')!.shadowRoot?.querySelector('textarea') ?? document.querySelector('#input')!;
      target.dispatchEvent(new ClipboardEvent('paste', { clipboardData: data, bubbles: true, composed: true, cancelable: true }));
    }, png);
    await paste();
    await page.locator('#attachments .chip img.chip-thumb').waitFor();
    await send('What is in this picture?');
    await replyDone();
    await page.locator('.message.user').last().locator('img.thumb').waitFor();
    const sent = JSON.stringify((await lastChatRequest()).body!.messages!.at(-1));
    assert.match(sent, /"image_url"/);
    assert.match(sent, /data:image\/png;base64,iVBOR/);

    await server.request('openrouter/settings/update', { patch: { modelId: 'z-ai/glm-5.2' } });
    await page.locator('#chatModelId', { hasText: 'z-ai/glm-5.2' }).waitFor({ timeout: TIMEOUT });
    await paste();
    await page.locator('#composerNotice', { hasText: 'does not accept images' }).waitFor();
    assert.equal(await page.locator('#attachments .chip').count(), 0);
    await server.request('openrouter/settings/update', { patch: { modelId: 'openai/gpt-4o' } });
    await page.locator('#chatModelId', { hasText: 'openai/gpt-4o' }).waitFor({ timeout: TIMEOUT });
  });

  test('the conversation list opens, renames, exports and deletes conversations', async () => {
    const first = await currentConversationId();
    await page.locator('#newChat').click();
    await page.locator('#emptyState').waitFor({ state: 'visible' });
    await send('A second conversation.');
    await replyDone();
    const second = await currentConversationId();
    assert.notEqual(second, first);

    await page.locator('#showConversations').click();
    const items = page.locator('#conversations .conversation');
    await items.nth(1).waitFor();
    assert.equal(await items.count(), 2);
    assert.equal(await items.first().getAttribute('data-id'), second); // newest first
    await screenshot(page, '16-chat-conversations', false);

    const firstItem = page.locator(`#conversations .conversation[data-id="${first}"]`);
    await firstItem.locator('.conversation-rename').click();
    await firstItem.locator('.conversation-title-input').fill('Haiku session');
    await firstItem.locator('.conversation-title-input').press('Enter');
    await page.locator(`#conversations .conversation[data-id="${first}"] .conversation-open`, { hasText: 'Haiku session' }).waitFor();
    const { conversations } = await server.request('openrouter/conversations/list', {});
    assert.equal(conversations.find((c) => c.id === first)!.title, 'Haiku session');

    await page.locator(`#conversations .conversation[data-id="${first}"] .conversation-export`).click();
    await page.waitForFunction(() => true);
    const deadline = Date.now() + TIMEOUT;
    while (!editor.markdownDocuments.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    assert.match(editor.markdownDocuments[0] ?? '', /Haiku session/);
    assert.match(editor.markdownDocuments[0] ?? '', /haiku about language servers/);

    await page.locator(`#conversations .conversation[data-id="${first}"] .conversation-open`).click();
    await page.locator('#conversations').waitFor({ state: 'hidden' });
    await page.locator('.message.user', { hasText: 'haiku about language servers' }).waitFor();
    assert.equal(await currentConversationId(), first);
    assert.match(await page.locator('#conversationCost').innerText(), /Haiku session/);

    await page.locator('#showConversations').click();
    const secondItem = page.locator(`#conversations .conversation[data-id="${second}"]`);
    await secondItem.locator('.conversation-delete').click();
    await secondItem.locator('.conversation-delete-confirm').click();
    await secondItem.waitFor({ state: 'detached' });
    const left = (await server.request('openrouter/conversations/list', {})).conversations.map((c) => c.id);
    assert.deepEqual(left, [first]);
    await page.locator('#showConversations').click();
  });

  test('a conversation with a tool call shows the call: name and arguments', async () => {
    // An agent (another client of the same server) asked with a tool; the view opens its conversation.
    const agentConversation = 'agent-conversation-with-a-tool-call';
    const previous = await currentConversationId();
    const result = await server.request('openrouter/chat', {
      conversationId: agentConversation,
      messages: [{ role: 'user', content: 'What is the weather in Paris?' }],
      tools: [{ type: 'function', function: {
        name: 'get_weather', description: 'The weather in a city',
        parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
      } }],
    });
    assert.equal(result.toolCalls[0]!.function.name, 'get_weather');
    await page.locator('#showConversations').click();
    await page.locator(`#conversations .conversation[data-id="${agentConversation}"] .conversation-open`).click();
    const call = page.locator('.message.assistant .tool-call');
    await call.waitFor();
    assert.match(await call.locator('.tool-name').innerText(), /get_weather/);
    assert.deepEqual(JSON.parse(await call.locator('.tool-arguments').innerText()), JSON.parse(result.toolCalls[0]!.function.arguments));
    await page.locator('#showConversations').click();
    await page.locator(`#conversations .conversation[data-id="${agentConversation}"] .conversation-delete`).click();
    await page.locator(`#conversations .conversation[data-id="${agentConversation}"] .conversation-delete-confirm`).click();
    await page.locator('#emptyState').waitFor({ state: 'visible' }); // deleting the open one starts a new chat
    await page.locator('#showConversations').click();
    await page.locator(`#conversations .conversation[data-id="${previous}"] .conversation-open`).click();
    await page.locator('.message.user', { hasText: 'haiku about language servers' }).waitFor();
  });

  /**
   * Shows the conversation list again with its load held back (a busy machine): `during` acts on
   * the rows shown before the load, then the fresh rows replace them.
   */
  async function whileTheListLoads(during: () => Promise<void>): Promise<void> {
    const real = server;
    let release = (): void => undefined;
    const held = new Promise<void>((resolve) => { release = resolve; });
    server = { ...real, rpc: { ...real.rpc, request: async (method, params, token) => {
      if (method === 'openrouter/conversations/list') await held;
      return real.rpc.request(method, params, token);
    } } };
    try {
      await page.locator('#showConversations').click();
      await during();
      release();
      await page.waitForFunction(() => document.querySelector('#conversationStatus')?.textContent !== 'Loading…');
    } finally {
      release();
      server = real;
    }
  }

  async function listedAndHidden(id: string): Promise<ReturnType<typeof page.locator>> {
    await server.request('openrouter/chat', { conversationId: id, messages: [{ role: 'user', content: 'Keep me in the list.' }] });
    const row = page.locator(`#conversations .conversation[data-id="${id}"]`);
    await page.locator('#showConversations').click();
    await row.waitFor();
    await page.locator('#showConversations').click(); // hidden: its rows stay in the page
    return row;
  }

  test('a Delete being confirmed is still asked when the list finishes loading under it', async () => {
    const doomed = 'a-conversation-deleted-while-the-list-loads';
    const row = await listedAndHidden(doomed);
    await whileTheListLoads(async () => {
      await row.locator('.conversation-delete').click();
      await row.locator('.conversation-delete-confirm').waitFor();
    });
    assert.equal(await row.locator('.conversation-delete-confirm').count(), 1);
    assert.ok(await row.locator('.conversation-delete-confirm').evaluate((b) => b === document.activeElement));
    await row.locator('.conversation-delete-confirm').click();
    await row.waitFor({ state: 'detached' });
    const left = (await server.request('openrouter/conversations/list', {})).conversations.map((c) => c.id);
    assert.ok(!left.includes(doomed), left.join(', '));
    await page.locator('#showConversations').click();
  });

  test('history survives a server restart', async () => {
    const id = await currentConversationId();
    const before = (await server.request('openrouter/conversations/get', { conversationId: id })).conversation;
    await server.stop();
    server = await startServer('chat-server-restarted', {}, {}, { home });
    // vscode-languageclient opens the editor's documents again in a new server.
    for (const textDocument of openDocuments) await server.connection.sendNotification('textDocument/didOpen', { textDocument });
    await page.locator('#newChat').click();
    await page.locator('#showConversations').click();
    await page.locator(`#conversations .conversation[data-id="${id}"] .conversation-open`, { hasText: 'Haiku session' }).click();
    await page.locator('.message.user', { hasText: 'haiku about language servers' }).waitFor();
    assert.equal(await page.locator('.message').count(), before.messages.filter((m) => m.role !== 'system').length);
    // The conversation goes on where it stopped.
    await send('One more, about restarts.');
    await replyDone();
    const after = (await server.request('openrouter/conversations/get', { conversationId: id })).conversation;
    assert.equal(after.messageCount, before.messageCount + 2);
  });

  test('axe-core finds no violations in the dark and the light theme', async () => {
    const dark = await axeViolations(view);
    assert.deepEqual(dark, [], JSON.stringify(dark, null, 2));
    await page.goto(`${web.origin}/chat.html?theme=light`);
    await page.locator('.message.assistant .usage').last().waitFor({ timeout: TIMEOUT });
    const light = await axeViolations(view);
    assert.deepEqual(light, [], JSON.stringify(light, null, 2));
    await screenshot(page, '17-chat-light', false);
    await page.goto(`${web.origin}/chat.html`);
    await page.locator('.message.assistant .usage').last().waitFor({ timeout: TIMEOUT });
  });

  test('the README screenshot: a Markdown answer with a code block, its cost and the total', async () => {
    await page.locator('#newChat').click();
    await emulatorControl('config', { replyText: [
      'Iterate over the file object: it yields **one line at a time**, so large files never sit in memory.',
      '',
      '```python',
      'with open("server.log", encoding="utf-8") as log:',
      '    for number, line in enumerate(log, start=1):',
      '        if "ERROR" in line:',
      '            print(number, line.rstrip())',
      '```',
      '',
      '- `encoding` avoids the platform default;',
      '- `with` closes the file even when an exception is raised.',
    ].join('\n') });
    await send('How do I read a large log file line by line in Python?');
    await replyDone();
    await emulatorControl('config', { replyText: null });
    await page.setViewportSize({ width: 440, height: 640 });
    const shot = await screenshot(page, '18-chat-readme', false);
    if (process.env.OPENROUTER_LSP_UPDATE_DOCS_IMG) copyFileSync(shot, join(REPO, 'docs', 'img', 'vscode-chat.png'));
    await page.setViewportSize({ width: 440, height: 820 });
  });

  test('rate limit: the error says when to retry, and Retry works', async () => {
    await emulatorControl('faults', { route: '/chat/completions', status: 429, headers: { 'Retry-After': '30' }, times: 1 });
    await send('Hello?');
    const error = lastReply().locator('.chat-error[data-kind="rate_limit"]');
    await error.waitFor({ timeout: TIMEOUT });
    assert.match(await error.locator('.retry-note').innerText(), /retry in \d+ s/);
    await screenshot(page, '13-chat-rate-limit', false);
    await error.locator('#errorRetry').click();
    await error.waitFor({ state: 'detached', timeout: TIMEOUT });
    await replyDone();
    assert.equal(await page.locator('.message.user', { hasText: 'Hello?' }).count(), 1);
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
    await page.reload();
    await page.locator('#chatModel', { hasText: 'no API key' }).waitFor({ timeout: TIMEOUT });
    await send('Anyone there?');
    const error = lastReply().locator('.chat-error[data-kind="no_api_key"]');
    await error.waitFor({ timeout: TIMEOUT });
    await error.locator('#errorOpenSettings').click();
    assert.deepEqual(view.commands.at(-1), { command: 'openSettings', arg: undefined });
    await screenshot(page, '14-chat-no-key', false);
    // An error on screen stays readable in both themes.
    assert.deepEqual(await axeViolations(view), []);
    await page.goto(`${web.origin}/chat.html?theme=light`);
    await lastReply().locator('.chat-error').waitFor();
    assert.deepEqual(await axeViolations(view), []);
  });

  test('the page raised no console errors and no CSP violations', () => {
    assert.deepEqual(view.problems, []);
  });
});
