/**
 * The chat view: a conversation the server keeps (`conversationId`; each turn sends only its new
 * message), replies streamed through `$/progress` and rendered as Markdown, each with its usage
 * and cost, and the conversation's total. Regenerate and edit-and-resend cut the server's history
 * (`conversations/truncate`) and send again; Esc or Stop ends a stream. The composer attaches the
 * editor's selection or file and pasted images (for models that accept images).
 */
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-icon/index.js';
import '@vscode-elements/elements/dist/vscode-textarea/index.js';
import type { VscodeTextarea } from '@vscode-elements/elements/dist/vscode-textarea/vscode-textarea.js';
import type { VscodeButton } from '@vscode-elements/elements/dist/vscode-button/vscode-button.js';

import { call, command, editorAction, getState, onHostMessage, onNotification, ready, request, RequestError, setState } from '../common/host';
import { formatTokens, formatUsd, h } from '../common/format';
import type { ConversationsDidChange, ModelInfo, SettingsView, UpstreamErrorData } from '../../src/wire';
import { CONVERSATIONS_DID_CHANGE, INVALID_PARAMS, SETTINGS_DID_CHANGE } from '../../src/wire';
import type {
  AttachmentChip, ChatIncrement, ChatOutcome, ContentPart, Conversation, ConversationSummary, OutgoingMessage,
  StoredMessage, ToolCall, Usage,
} from '../../src/shared/contract';
import { ConversationList, describe } from './conversations';
import { renderMarkdown, StreamingMarkdown, type CodeBlockActions } from './markdown';

const CREDITS_URL = 'https://openrouter.ai/settings/credits';

/** One turn as shown: the user's message, or a reply with its outcome. */
interface Turn {
  role: 'user' | 'assistant';
  content: string;
  /** Position among the conversation's stored messages (the server's), when known. */
  index?: number;
  /** The message as sent (user turns): what regenerate sends again. */
  message?: OutgoingMessage;
  images?: string[];
  attachments?: string[];
  reasoning?: string;
  toolCalls?: ToolCall[];
  usage?: Usage | null;
  meta?: string;
  error?: { kind: string; message: string; retryAfterSeconds?: number; at: number };
  stopped?: boolean;
}
interface Saved { turns: Turn[]; conversationId: string; draft: string; summary?: ConversationSummary }

const saved = getState<Saved>();
let turns: Turn[] = saved?.turns ?? [];
let conversationId = saved?.conversationId ?? newId();
let summary: ConversationSummary | undefined = saved?.summary;
let streaming: { cancel(): void; turn: Turn } | undefined;
let settings: SettingsView | undefined;
/** The catalogue entries `currentModel` found for a model id. */
let models: { modelId: string; found: ModelInfo[] } | undefined;
let pendingAttachments: AttachmentChip[] = [];
let pendingImages: string[] = [];

function newId(): string {
  return crypto.randomUUID();
}

const codeActions: CodeBlockActions = {
  copy: (code) => { void editorAction('copy', code).then(() => notice('Copied.', 3000)).catch((e: unknown) => notice(describe(e))); },
  insert: (code) => { void editorAction('insertAtCursor', code).catch((e: unknown) => notice(describe(e))); },
};

const app = document.getElementById('app')!;
const modelLine = h('div', { id: 'chatModel', class: 'muted' });
const totalLine = h('div', { id: 'conversationCost', class: 'muted' });
const serverBanner = h('div', { id: 'serverBanner', class: 'warning', hidden: true });
const list = h('div', { id: 'messages', role: 'log', 'aria-live': 'polite', 'aria-label': 'Messages' });
const empty = h('div', { id: 'emptyState', class: 'muted empty' }, 'Ask anything. Replies stream from the model chosen in the settings.');
const input = h('vscode-textarea', { id: 'input', rows: '3', placeholder: 'Message (Enter to send, Shift+Enter for a new line, Esc to stop)', 'aria-label': 'Message', resize: 'vertical' }) as unknown as VscodeTextarea;
const sendButton = h('vscode-button', { id: 'send', icon: 'send' }, 'Send') as unknown as VscodeButton;
const stopButton = h('vscode-button', { id: 'stop', icon: 'debug-stop', secondary: true, hidden: true }, 'Stop') as unknown as VscodeButton;
const chips = h('div', { id: 'attachments', class: 'chips', 'aria-label': 'Attachments' });
const composerNotice = h('div', { id: 'composerNotice', class: 'muted', role: 'status' });
const conversations = new ConversationList({
  currentId: () => conversationId,
  open: (id) => void openConversation(id),
  deleted: (id) => { if (id === conversationId) newChat(); },
  renamed: (s) => { if (s.id === conversationId) { summary = s; renderTotal(); persist(); } },
});

function persist(): void {
  setState<Saved>({ turns, conversationId, draft: input.value ?? '', summary });
}

let noticeTimer: ReturnType<typeof setTimeout> | undefined;

/** A line under the message box; `fadeMs` clears it again (a confirmation, not a problem). */
function notice(text: string, fadeMs?: number): void {
  clearTimeout(noticeTimer);
  composerNotice.textContent = text;
  if (fadeMs) noticeTimer = setTimeout(() => { composerNotice.textContent = ''; }, fadeMs);
}

// ---------------------------------------------------------------- header

function renderHeader(): void {
  if (!settings) { modelLine.textContent = ''; return; }
  const settingsLink = h('a', { href: '#', class: 'link', id: 'chatSettingsLink' }, 'settings');
  settingsLink.addEventListener('click', (e) => { e.preventDefault(); command('openSettings'); });
  modelLine.replaceChildren(
    h('vscode-icon', { name: 'sparkle' }), ' ', h('span', { id: 'chatModelId' }, settings.modelId || '(no model)'),
    settings.apiKey.isSet ? '' : h('span', { class: 'warning-text' }, ' · no API key'), ' · ', settingsLink);
}

function renderTotal(): void {
  let cost: number | null = null;
  let prompt = 0;
  let completion = 0;
  if (summary && summary.id === conversationId) {
    cost = summary.totals.costUsd;
    prompt = summary.totals.promptTokens;
    completion = summary.totals.completionTokens;
  } else {
    for (const t of turns) {
      if (!t.usage) continue;
      if (t.usage.costUsd !== null) cost = (cost ?? 0) + t.usage.costUsd;
      prompt += t.usage.promptTokens ?? 0;
      completion += t.usage.completionTokens ?? 0;
    }
  }
  const title = summary && summary.id === conversationId && summary.title ? `${summary.title} · ` : '';
  totalLine.textContent = turns.length
    ? `${title}Conversation: ${formatUsd(cost)} · ${formatTokens(prompt)} in · ${formatTokens(completion)} out`
    : '';
}

// ---------------------------------------------------------------- turns

function renderTurn(turn: Turn): HTMLElement {
  const el = h('div', { class: `message ${turn.role}` });
  fillTurn(el, turn);
  return el;
}

function fillTurn(el: HTMLElement, turn: Turn): void {
  const head = h('div', { class: 'role' }, turn.role === 'user' ? 'You' : 'Assistant');
  const parts: Node[] = [head];
  if (turn.reasoning) {
    parts.push(h('details', { class: 'reasoning' }, h('summary', null, 'Reasoning'), h('div', { class: 'text' }, turn.reasoning)));
  }
  if (turn.attachments?.length) {
    parts.push(h('div', { class: 'chips' }, ...turn.attachments.map((label) => h('span', { class: 'chip' }, h('span', { class: 'codicon codicon-file', 'aria-hidden': 'true' }), label))));
  }
  const content = h('div', { class: turn.role === 'assistant' ? 'content markdown' : 'text content' });
  if (turn.role === 'assistant') renderMarkdown(content, turn.content, codeActions);
  else content.textContent = turn.content;
  parts.push(content);
  if (turn.images?.length) {
    parts.push(h('div', { class: 'images' }, ...turn.images.map((url, i) => h('img', { src: url, alt: `Image ${i + 1}`, class: 'thumb' }))));
  }
  if (turn.toolCalls?.length) parts.push(renderToolCalls(turn.toolCalls));
  if (turn === streaming?.turn && !turn.content && !turn.toolCalls?.length) parts.push(h('div', { class: 'muted typing' }, 'Waiting for the first token…'));
  if (turn.stopped) parts.push(h('div', { class: 'muted stopped' }, 'Stopped.'));
  const usage = usageLine(turn);
  if (usage) parts.push(h('div', { class: 'usage muted' }, usage));
  if (turn.error) parts.push(renderError(turn.error));
  const actions = turnActions(turn);
  if (actions) parts.push(actions);
  el.replaceChildren(...parts);
}

function renderToolCalls(calls: ToolCall[]): HTMLElement {
  return h('div', { class: 'tool-calls' }, ...calls.map((c) =>
    h('div', { class: 'tool-call' },
      h('div', { class: 'tool-name' }, h('span', { class: 'codicon codicon-tools', 'aria-hidden': 'true' }), ` ${c.function.name}`),
      h('pre', { class: 'tool-arguments' }, prettyJson(c.function.arguments)))));
}

function prettyJson(text: string): string {
  try { return JSON.stringify(JSON.parse(text), null, 2); } catch { return text; }
}

function usageLine(turn: Turn): string {
  const u = turn.usage;
  const bits: string[] = [];
  if (u) {
    bits.push(`${formatTokens(u.promptTokens)} in`);
    bits.push(`${formatTokens(u.completionTokens)} out`);
    if (u.cachedTokens) bits.push(`${formatTokens(u.cachedTokens)} cached`);
    if (u.reasoningTokens) bits.push(`${formatTokens(u.reasoningTokens)} reasoning`);
    bits.push(formatUsd(u.costUsd));
  } else if (turn.stopped) {
    bits.push('cost not reported by the server');
  }
  if (turn.meta) bits.push(turn.meta);
  return bits.join(' · ');
}

function turnActions(turn: Turn): HTMLElement | null {
  if (streaming) return null;
  const buttons: HTMLElement[] = [];
  const button = (label: string, icon: string, cls: string, onClick: () => void): void => {
    const b = h('button', { type: 'button', class: `icon-button ${cls}`, title: label, 'aria-label': label },
      h('span', { class: `codicon codicon-${icon}`, 'aria-hidden': 'true' }), h('span', null, label));
    b.addEventListener('click', onClick);
    buttons.push(b);
  };
  if (turn.role === 'user' && turn.message) button('Edit', 'edit', 'turn-edit', () => editTurn(turn));
  if (turn.role === 'assistant' && turn === turns[turns.length - 1] && !turn.error) {
    button('Regenerate', 'refresh', 'turn-regenerate', () => void regenerate(turn));
  }
  return buttons.length ? h('div', { class: 'turn-actions' }, ...buttons) : null;
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
      button('Retry', 'refresh', () => void retry(), 'errorRetry');
      actions.append(note);
      break;
    }
    case 'cancelled':
      break;
    default:
      button('Retry', 'refresh', () => void retry(), 'errorRetry');
  }
  if (actions.childElementCount > 0) box.append(actions);
  return box;
}

function renderAll(): void {
  list.replaceChildren(...turns.map(renderTurn));
  empty.hidden = turns.length > 0;
  renderTotal();
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

// ---------------------------------------------------------------- sending

/** How many messages the server holds for this conversation (where the next one goes). */
function storedCount(): number {
  let count = 0;
  for (const t of turns) if (t.index !== undefined) count = Math.max(count, t.index + 1);
  return Math.max(count, summary?.id === conversationId ? summary.messageCount : 0);
}

function send(): void {
  const text = (input.value ?? '').trim();
  if ((!text && !pendingImages.length) || streaming) return;
  const message: OutgoingMessage = { role: 'user', content: text };
  if (pendingImages.length) {
    const parts: ContentPart[] = text ? [{ type: 'text', text }] : [];
    for (const url of pendingImages) parts.push({ type: 'image_url', imageUrl: { url } });
    message.content = parts;
  }
  if (pendingAttachments.length) message.attachments = pendingAttachments.map((a) => a.attachment);
  const turn: Turn = {
    role: 'user', content: text, message, index: storedCount(),
    images: pendingImages.length ? [...pendingImages] : undefined,
    attachments: pendingAttachments.length ? pendingAttachments.map((a) => a.label) : undefined,
  };
  input.value = '';
  pendingImages = [];
  pendingAttachments = [];
  renderChips();
  notice('');
  turns.push(turn);
  list.append(renderTurn(turn));
  run(turn);
}

/** Sends `userTurn`'s message as this turn's new message and streams the answer. */
function run(userTurn: Turn): void {
  const message = userTurn.message;
  if (!message) return;
  const turn: Turn = { role: 'assistant', content: '' };
  turns.push(turn);
  const markdown = new StreamingMarkdown(() => el.querySelector('.content'), codeActions);
  const toolCalls: ToolCall[] = [];
  const request = call('openrouter/chat', { messages: [message], conversationId }, (value) => {
    const delta = value as ChatIncrement;
    if (delta.reasoning) { turn.reasoning = (turn.reasoning ?? '') + delta.reasoning; fillTurn(el, turn); }
    if (delta.toolCalls?.length) {
      for (const piece of delta.toolCalls) {
        const call = toolCalls[piece.index] ??= { id: '', type: 'function', function: { name: '', arguments: '' } };
        if (piece.id) call.id = piece.id;
        if (piece.function?.name) call.function.name += piece.function.name;
        if (piece.function?.arguments) call.function.arguments += piece.function.arguments;
      }
      turn.toolCalls = toolCalls.filter(Boolean);
      fillTurn(el, turn);
    }
    if (delta.content) {
      const first = !turn.content;
      turn.content += delta.content;
      if (first) fillTurn(el, turn);
      markdown.update(turn.content);
    }
    scrollToEnd();
  });
  streaming = { cancel: request.cancel, turn };
  setStreaming(true);
  renderAll(); // the other turns' actions hide while a reply streams
  const el = list.lastElementChild as HTMLElement;
  persist();
  request.result.then(
    (result) => {
      const outcome = result as ChatOutcome;
      turn.content = outcome.content;
      if (outcome.reasoning) turn.reasoning = outcome.reasoning;
      if (outcome.toolCalls?.length) turn.toolCalls = outcome.toolCalls;
      turn.usage = outcome.usage;
      turn.meta = [outcome.provider, outcome.model].filter(Boolean).join(' · ');
      turn.index = (userTurn.index ?? storedCount()) + 1;
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
        message: describe(err),
        retryAfterSeconds: upstream?.retryAfterSeconds ?? undefined,
        at: Date.now(),
      };
    },
  ).then(async () => {
    markdown.dispose();
    streaming = undefined;
    setStreaming(false);
    await syncWithServer(userTurn, turn);
    renderAll();
    persist();
  });
}

/**
 * After a turn, the server's copy of the conversation is the truth: its message positions,
 * costs (a stopped reply's too, when the server kept it) and totals. A reply the server did not
 * keep (an error, a stop before anything was stored) stays shown after the stored ones.
 */
async function syncWithServer(asked: Turn, last: Turn): Promise<void> {
  let conversation: Conversation;
  try {
    conversation = (await request('openrouter/conversations/get', { conversationId })).conversation;
  } catch {
    return; // a server without conversations: the local turns stand
  }
  const stored = turnsFrom(conversation);
  const lastStored = stored[stored.length - 1];
  const askedAt = asked.index ?? Number.MAX_SAFE_INTEGER;
  const kept = lastStored?.role === 'assistant' && (lastStored.index ?? -1) > askedAt;
  if (last.stopped && kept) {
    lastStored.stopped = true; // the server kept the part that streamed
  } else if (last.stopped || last.error) {
    // A failed turn is not stored: the message stays shown (Retry sends it again) with its outcome.
    if (conversation.messages.length <= askedAt) stored.push({ ...asked, index: conversation.messages.length });
    stored.push({ ...last, index: undefined });
  }
  turns = stored;
  summary = conversation;
}

function turnsFrom(conversation: Conversation): Turn[] {
  const out: Turn[] = [];
  conversation.messages.forEach((m, index) => {
    if (m.role !== 'user' && m.role !== 'assistant') return;
    out.push(m.role === 'user' ? userTurnFrom(m, index) : {
      role: 'assistant', index, content: textOf(m.content), reasoning: m.reasoning ?? undefined,
      toolCalls: m.toolCalls?.length ? m.toolCalls : undefined, usage: m.usage,
      stopped: m.finishReason === 'cancelled' || undefined,
      meta: [m.provider, m.model].filter(Boolean).join(' · ') || undefined,
    });
  });
  return out;
}

function userTurnFrom(m: StoredMessage, index: number): Turn {
  const images = Array.isArray(m.content)
    ? m.content.flatMap((p) => (p.type === 'image_url' ? [p.imageUrl.url] : []))
    : [];
  const message: OutgoingMessage = { role: 'user', content: m.content };
  if (m.attachments?.length) message.attachments = m.attachments;
  return {
    role: 'user', index, content: textOf(m.content), message,
    images: images.length ? images : undefined,
    attachments: m.attachments?.length ? m.attachments.map((a) => a.uri.split('/').pop() ?? a.uri) : undefined,
  };
}

function textOf(content: StoredMessage['content']): string {
  if (typeof content === 'string') return content;
  if (!content) return '';
  return content.map((p) => (p.type === 'text' ? p.text : '')).join('');
}

/** Cuts the server's history to the first `keep` messages (before regenerate or edit). */
async function truncate(keep: number): Promise<boolean> {
  try {
    summary = await request('openrouter/conversations/truncate', { conversationId, keepMessages: keep });
    return true;
  } catch (err) {
    // A conversation the server never stored (its first turn failed) has nothing to cut.
    if (err instanceof RequestError && err.rpc.code === INVALID_PARAMS && keep === 0) return true;
    notice(`Could not cut the conversation: ${describe(err)}`);
    return false;
  }
}

/** Asks again for the reply to `userTurn`, dropping it and everything after it first. */
async function resend(userTurn: Turn): Promise<void> {
  if (streaming || userTurn.index === undefined) return;
  if (!(await truncate(userTurn.index))) return;
  turns = turns.slice(0, turns.indexOf(userTurn) + 1);
  renderAll();
  run(userTurn);
}

async function regenerate(reply: Turn): Promise<void> {
  const at = turns.indexOf(reply);
  const userTurn = turns.slice(0, at).reverse().find((t) => t.role === 'user');
  if (userTurn) await resend(userTurn);
}

async function retry(): Promise<void> {
  const userTurn = [...turns].reverse().find((t) => t.role === 'user');
  if (userTurn) await resend(userTurn);
}

function editTurn(turn: Turn): void {
  if (streaming) return;
  const el = list.children[turns.indexOf(turn)] as HTMLElement | undefined;
  if (!el) return;
  const editor = h('vscode-textarea', { class: 'edit-input', rows: '3', 'aria-label': 'Edit message', resize: 'vertical' }) as unknown as VscodeTextarea;
  editor.value = turn.content;
  const save = h('vscode-button', { class: 'edit-save', icon: 'send' }, 'Send');
  const cancel = h('vscode-button', { class: 'edit-cancel', secondary: true }, 'Cancel');
  cancel.addEventListener('click', () => fillTurn(el, turn));
  save.addEventListener('click', () => {
    const text = (editor.value ?? '').trim();
    if (!text || !turn.message) return;
    const content = turn.message.content;
    turn.message = {
      ...turn.message,
      content: Array.isArray(content) ? [{ type: 'text', text }, ...content.filter((p) => p.type !== 'text')] : text,
    };
    turn.content = text;
    void resend(turn);
  });
  el.replaceChildren(h('div', { class: 'role' }, 'You'), editor, h('div', { class: 'turn-actions' }, cancel, save));
  (editor as unknown as HTMLElement).focus();
}

// ---------------------------------------------------------------- conversations

function newChat(): void {
  streaming?.cancel();
  turns = [];
  summary = undefined;
  conversationId = newId();
  conversations.hide();
  persist();
  renderAll();
}

async function openConversation(id: string): Promise<void> {
  if (streaming) return;
  try {
    const { conversation } = await request('openrouter/conversations/get', { conversationId: id });
    conversationId = id;
    summary = conversation;
    turns = turnsFrom(conversation);
    conversations.hide();
    persist();
    renderAll();
  } catch (err) {
    notice(`Could not open the conversation: ${describe(err)}`);
  }
}

/**
 * The server changed a stored conversation by itself (a stopped reply's cost arrived from
 * OpenRouter): the open one is read again. Turns the server does not hold (a failed reply shown
 * after the stored ones) stay; a reply streaming now is left alone (its end reads the conversation).
 */
async function conversationChanged(id: string): Promise<void> {
  if (conversations.shown) void conversations.refresh();
  if (id !== conversationId || streaming) return;
  let conversation: Conversation;
  try {
    conversation = (await request('openrouter/conversations/get', { conversationId: id })).conversation;
  } catch {
    return; // deleted meanwhile, or the history is unavailable: what is shown stands
  }
  if (id !== conversationId || streaming) return; // the view moved on while it was read
  const count = conversation.messages.length;
  const unstored = turns.filter((t) => t.index === undefined || t.index >= count);
  turns = [...turnsFrom(conversation), ...unstored];
  summary = conversation;
  renderAll();
  persist();
}

// ---------------------------------------------------------------- composer: attachments, images

function renderChips(): void {
  const attachmentChips = pendingAttachments.map((a, i) => chip(a.label, 'file', () => { pendingAttachments.splice(i, 1); renderChips(); }));
  const imageChips = pendingImages.map((url, i) => {
    const c = chip(`Image ${i + 1}`, 'file-media', () => { pendingImages.splice(i, 1); renderChips(); });
    c.prepend(h('img', { src: url, alt: '', class: 'chip-thumb' }));
    return c;
  });
  chips.replaceChildren(...attachmentChips, ...imageChips);
}

function chip(label: string, icon: string, remove: () => void): HTMLElement {
  const close = h('button', { type: 'button', class: 'icon-button chip-remove', title: `Remove ${label}`, 'aria-label': `Remove ${label}` },
    h('span', { class: 'codicon codicon-close', 'aria-hidden': 'true' }));
  close.addEventListener('click', remove);
  return h('span', { class: 'chip pending' }, h('span', { class: `codicon codicon-${icon}`, 'aria-hidden': 'true' }), label, close);
}

async function attach(action: 'attachSelection' | 'attachFile'): Promise<void> {
  try {
    const found = await editorAction(action);
    if (!found) { notice('No editor to attach from.'); return; }
    pendingAttachments.push(found);
    renderChips();
    notice('');
  } catch (err) {
    notice(describe(err));
  }
}

/**
 * The current model's catalogue entry, asked for by id (a `:free`… variant falls back to its base
 * model's entry); not the whole list, which is megabytes for a large catalogue.
 */
async function currentModel(): Promise<ModelInfo | undefined> {
  const id = settings?.modelId;
  if (!id) return undefined;
  const base = id.split(':')[0]!;
  if (models?.modelId !== id) {
    try {
      models = { modelId: id, found: (await request('openrouter/models/list', { ids: [...new Set([id, base])] })).models };
    } catch { return undefined; }
  }
  return models.found.find((m) => m.id === id) ?? models.found.find((m) => m.id === base);
}

async function pasteImages(files: File[]): Promise<void> {
  const model = await currentModel();
  if (!model?.inputModalities.includes('image')) {
    notice(`${settings?.modelId || 'This model'} does not accept images; choose a model with image input in the settings.`);
    return;
  }
  for (const file of files) pendingImages.push(await dataUrl(file));
  renderChips();
  notice('');
}

function dataUrl(file: File): Promise<string> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result));
    reader.onerror = () => reject(reader.error ?? new Error('the image could not be read'));
    reader.readAsDataURL(file);
  });
}

// ---------------------------------------------------------------- wiring

function iconButton(id: string, label: string, icon: string, onClick: () => void): HTMLElement {
  const b = h('button', { type: 'button', id, class: 'icon-button', title: label, 'aria-label': label },
    h('span', { class: `codicon codicon-${icon}`, 'aria-hidden': 'true' }));
  b.addEventListener('click', onClick);
  return b;
}

function build(): void {
  const top = h('div', { class: 'top' }, modelLine, h('div', { class: 'top-actions' },
    iconButton('showConversations', 'Conversations', 'history', () => {
      if (conversations.shown) conversations.hide(); else void conversations.show();
    }),
    iconButton('newChat', 'New chat', 'add', newChat)));
  const composer = h('div', { class: 'composer' }, chips, input, composerNotice,
    h('div', { class: 'composer-actions' },
      iconButton('attachSelection', 'Attach selection', 'selection', () => void attach('attachSelection')),
      iconButton('attachFile', 'Attach file', 'file-add', () => void attach('attachFile')),
      h('span', { class: 'spacer' }), stopButton, sendButton));
  app.replaceChildren(h('h1', { class: 'visually-hidden' }, 'OpenRouter Chat'), top, totalLine, serverBanner, conversations.element, empty, list, composer);
  app.removeAttribute('aria-busy');
  input.value = saved?.draft ?? '';
  sendButton.addEventListener('click', send);
  stopButton.addEventListener('click', () => streaming?.cancel());
  input.addEventListener('keydown', (event) => {
    const e = event as KeyboardEvent;
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) { e.preventDefault(); send(); }
  });
  input.addEventListener('input', persist);
  input.addEventListener('paste', (event) => {
    const files = Array.from((event as ClipboardEvent).clipboardData?.files ?? []).filter((f) => f.type.startsWith('image/'));
    if (!files.length) return;
    event.preventDefault();
    void pasteImages(files);
  });
  document.addEventListener('keydown', (e) => {
    if (e.key === 'Escape' && streaming) { e.preventDefault(); streaming.cancel(); }
  });
  // Links in replies open in the browser, never inside the view.
  list.addEventListener('click', (e) => {
    const link = (e.target as Element | null)?.closest?.('.markdown a[href]');
    if (!link) return;
    e.preventDefault();
    command('openExternal', link.getAttribute('href') ?? '');
  });
  onNotification(SETTINGS_DID_CHANGE, (params) => { settings = params as SettingsView; renderHeader(); });
  onNotification(CONVERSATIONS_DID_CHANGE, (params) => void conversationChanged((params as ConversationsDidChange).conversationId));
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
