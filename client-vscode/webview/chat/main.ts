/**
 * The chat view: a message list, an input, Send and Stop. Replies stream in through
 * `$/progress`; each ends with a usage and cost line, or with an error and the action that fixes it.
 */
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-icon/index.js';
import '@vscode-elements/elements/dist/vscode-textarea/index.js';
import type { VscodeTextarea } from '@vscode-elements/elements/dist/vscode-textarea/vscode-textarea.js';
import type { VscodeButton } from '@vscode-elements/elements/dist/vscode-button/vscode-button.js';

import { call, command, getState, onHostMessage, onNotification, ready, request, RequestError, setState } from '../common/host';
import { formatTokens, formatUsd, h } from '../common/format';
import type { ChatMessage, ChatProgress, ChatResult, SettingsView, UpstreamErrorData } from '../../src/wire';
import { SETTINGS_DID_CHANGE } from '../../src/wire';

const CREDITS_URL = 'https://openrouter.ai/settings/credits';

/** One turn as shown: the user's message, or a reply with its outcome. */
interface Turn {
  role: 'user' | 'assistant';
  content: string;
  reasoning?: string;
  usage?: string;
  error?: { kind: string; message: string; retryAfterSeconds?: number; at: number };
  stopped?: boolean;
}
interface Saved { turns: Turn[]; conversationId: string; draft: string }

const saved = getState<Saved>();
let turns: Turn[] = saved?.turns ?? [];
let conversationId = saved?.conversationId ?? newId();
let streaming: { cancel(): void; turn: Turn; el: HTMLElement } | undefined;
let settings: SettingsView | undefined;

function newId(): string {
  return `chat-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
}

const app = document.getElementById('app')!;
const modelLine = h('div', { id: 'chatModel', class: 'muted' });
const serverBanner = h('div', { id: 'serverBanner', class: 'warning', hidden: true });
const list = h('div', { id: 'messages', role: 'log', 'aria-live': 'polite' });
const empty = h('div', { id: 'emptyState', class: 'muted empty' }, 'Ask anything. Replies stream from the model chosen in the settings.');
const input = h('vscode-textarea', { id: 'input', rows: '3', placeholder: 'Message (Enter to send, Shift+Enter for a new line)', 'aria-label': 'Message', resize: 'vertical' }) as unknown as VscodeTextarea;
const sendButton = h('vscode-button', { id: 'send', icon: 'send' }, 'Send') as unknown as VscodeButton;
const stopButton = h('vscode-button', { id: 'stop', icon: 'debug-stop', secondary: true, hidden: true }, 'Stop') as unknown as VscodeButton;

function persist(): void {
  setState<Saved>({ turns, conversationId, draft: input.value ?? '' });
}

function renderHeader(): void {
  if (!settings) { modelLine.textContent = ''; return; }
  const settingsLink = h('a', { href: '#', class: 'link', id: 'chatSettingsLink' }, 'settings');
  settingsLink.addEventListener('click', (e) => { e.preventDefault(); command('openSettings'); });
  modelLine.replaceChildren(
    h('vscode-icon', { name: 'sparkle' }), ' ', h('span', { id: 'chatModelId' }, settings.modelId || '(no model)'),
    settings.apiKey.isSet ? '' : h('span', { class: 'warning-text' }, ' · no API key'), ' · ', settingsLink);
}

function renderTurn(turn: Turn): HTMLElement {
  const el = h('div', { class: `message ${turn.role}` });
  fillTurn(el, turn);
  return el;
}

function fillTurn(el: HTMLElement, turn: Turn): void {
  const parts: Array<Node | null> = [
    h('div', { class: 'role' }, turn.role === 'user' ? 'You' : 'Assistant'),
  ];
  if (turn.reasoning) {
    parts.push(h('details', { class: 'reasoning' }, h('summary', null, 'Reasoning'), h('div', { class: 'text' }, turn.reasoning)));
  }
  parts.push(h('div', { class: 'text content' }, turn.content));
  if (turn === streaming?.turn && !turn.content) parts.push(h('div', { class: 'muted typing' }, 'Waiting for the first token…'));
  if (turn.stopped) parts.push(h('div', { class: 'muted stopped' }, 'Stopped.'));
  if (turn.usage) parts.push(h('div', { class: 'usage muted' }, turn.usage));
  if (turn.error) parts.push(renderError(turn.error));
  el.replaceChildren(...parts.filter((p): p is Node => p !== null));
}

function renderError(error: NonNullable<Turn['error']>): HTMLElement {
  const box = h('div', { class: 'error-box chat-error', 'data-kind': error.kind }, h('div', null, error.message));
  const actions = h('div', { class: 'error-actions' });
  const button = (label: string, icon: string, onClick: () => void, id?: string): void => {
    const b = h('vscode-button', { icon, secondary: true, id }, label);
    b.addEventListener('click', onClick);
    actions.append(b);
  };
  switch (error.kind) {
    case 'no_api_key':
    case 'auth':
      button('Open Settings', 'gear', () => command('openSettings'), 'errorOpenSettings');
      break;
    case 'credits':
      button('Add credits', 'link-external', () => command('openExternal', CREDITS_URL), 'errorAddCredits');
      break;
    case 'context_length':
      button('Open Settings', 'gear', () => command('openSettings'), 'errorOpenSettings');
      actions.append(h('span', { class: 'muted' }, 'Tip: enable "Compress prompts and message chains to the context size".'));
      break;
    case 'rate_limit': {
      const wait = error.retryAfterSeconds ?? 0;
      const retryAt = error.at + wait * 1000;
      const note = h('span', { class: 'muted retry-note' });
      const tick = (): void => {
        const left = Math.ceil((retryAt - Date.now()) / 1000);
        note.textContent = left > 0 ? `You can retry in ${left} s.` : 'You can retry now.';
        if (left > 0 && note.isConnected) setTimeout(tick, 1000);
      };
      tick();
      requestAnimationFrame(tick);
      button('Retry', 'refresh', () => retry(), 'errorRetry');
      actions.append(note);
      break;
    }
    case 'cancelled':
      break;
    default:
      button('Retry', 'refresh', () => retry(), 'errorRetry');
  }
  if (actions.childElementCount > 0) box.append(actions);
  return box;
}

function renderAll(): void {
  list.replaceChildren(...turns.map(renderTurn));
  empty.hidden = turns.length > 0;
  scrollToEnd();
}

function scrollToEnd(): void {
  list.scrollTop = list.scrollHeight;
}

function setStreaming(on: boolean): void {
  sendButton.hidden = on;
  stopButton.hidden = !on;
  document.body.classList.toggle('streaming', on);
}

function usageLine(result: ChatResult): string {
  const u = result.usage;
  const bits: string[] = [];
  if (u) {
    bits.push(`${formatTokens(u.promptTokens)} in`);
    bits.push(`${formatTokens(u.completionTokens)} out`);
    if (u.cachedTokens) bits.push(`${formatTokens(u.cachedTokens)} cached`);
    if (u.reasoningTokens) bits.push(`${formatTokens(u.reasoningTokens)} reasoning`);
    bits.push(formatUsd(u.costUsd));
  }
  if (result.provider) bits.push(result.provider);
  if (result.model) bits.push(result.model);
  return bits.join(' · ');
}

function history(): ChatMessage[] {
  return turns
    .filter((t) => !t.error || t.content)
    .map((t) => ({ role: t.role, content: t.content }));
}

function send(): void {
  const text = (input.value ?? '').trim();
  if (!text || streaming) return;
  input.value = '';
  const turn: Turn = { role: 'user', content: text };
  turns.push(turn);
  list.append(renderTurn(turn));
  run();
}

function retry(): void {
  if (streaming) return;
  // Drop the failed reply and ask again with the same history.
  if (turns.length > 0 && turns[turns.length - 1]!.role === 'assistant') {
    turns.pop();
    list.lastElementChild?.remove();
  }
  run();
}

/** The wire type of `messages` is a non-empty tuple (the server takes 1 to 10,000 messages). */
function isNonEmpty<T>(items: T[]): items is [T, ...T[]] {
  return items.length > 0;
}

function run(): void {
  const messages = history();
  // send() and retry() always leave a user turn; the guard only narrows the type.
  if (!isNonEmpty(messages)) return;
  const turn: Turn = { role: 'assistant', content: '' };
  turns.push(turn);
  const el = renderTurn(turn);
  list.append(el);
  empty.hidden = true;
  const content = el.querySelector('.content') as HTMLElement;
  const request = call('openrouter/chat', { messages, conversationId }, (value) => {
    const delta = value as ChatProgress;
    if (delta.reasoning) { turn.reasoning = (turn.reasoning ?? '') + delta.reasoning; fillTurn(el, turn); }
    if (delta.content) {
      turn.content += delta.content;
      if (el.querySelector('.typing')) fillTurn(el, turn);
      else (el.querySelector('.content') as HTMLElement ?? content).textContent = turn.content;
    }
    scrollToEnd();
  });
  streaming = { cancel: request.cancel, turn, el };
  setStreaming(true);
  fillTurn(el, turn);
  persist();
  request.result.then(
    (result) => {
      turn.content = result.content;
      if (result.reasoning) turn.reasoning = result.reasoning;
      turn.usage = usageLine(result);
    },
    (err: unknown) => {
      if (err instanceof RequestError && err.cancelled) {
        turn.stopped = true;
        return;
      }
      const upstream: UpstreamErrorData | undefined = err instanceof RequestError ? err.upstream : undefined;
      if (upstream?.partialContent && !turn.content) turn.content = upstream.partialContent;
      turn.error = {
        kind: upstream?.kind ?? 'client',
        message: err instanceof RequestError ? err.display : String(err),
        retryAfterSeconds: upstream?.retryAfterSeconds ?? undefined,
        at: Date.now(),
      };
    },
  ).finally(() => {
    streaming = undefined;
    setStreaming(false);
    fillTurn(el, turn);
    scrollToEnd();
    persist();
  });
}

function newChat(): void {
  streaming?.cancel();
  turns = [];
  conversationId = newId();
  persist();
  renderAll();
}

function build(): void {
  const composer = h('div', { class: 'composer' }, input, h('div', { class: 'composer-actions' }, stopButton, sendButton));
  app.replaceChildren(h('div', { class: 'top' }, modelLine), serverBanner, empty, list, composer);
  app.removeAttribute('aria-busy');
  input.value = saved?.draft ?? '';
  sendButton.addEventListener('click', send);
  stopButton.addEventListener('click', () => streaming?.cancel());
  input.addEventListener('keydown', (event) => {
    const e = event as KeyboardEvent;
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) { e.preventDefault(); send(); }
  });
  input.addEventListener('input', persist);
  onNotification(SETTINGS_DID_CHANGE, (params) => { settings = params as SettingsView; renderHeader(); });
  onHostMessage((message) => {
    if (message.type === 'newChat') newChat();
    if (message.type === 'serverState') {
      serverBanner.hidden = message.state === 'running';
      serverBanner.textContent = message.state === 'running' ? '' : `Language server ${message.state}${message.detail ? `: ${message.detail}` : ''}`;
      if (message.state === 'running') void loadSettings();
    }
  });
}

async function loadSettings(): Promise<void> {
  try {
    settings = await request('openrouter/settings/get', {});
  } catch {
    settings = undefined;
  }
  renderHeader();
}

build();
renderAll();
ready();
void loadSettings();
