/**
 * The conversation list: the server's saved conversations, newest first, each with Open, Rename,
 * Export (a new Markdown document in the editor) and Delete (asks once more before it deletes).
 */
import { editorAction, request, RequestError } from '../common/host';
import { formatAge, formatUsd, h } from '../common/format';
import type { ConversationSummary } from '../../src/shared/contract';

export interface ConversationListHooks {
  /** The conversation shown in the chat now (marked in the list). */
  currentId(): string;
  open(id: string): void;
  /** A conversation was deleted (the chat starts a new one when it was the open one). */
  deleted(id: string): void;
  renamed(summary: ConversationSummary): void;
}

export class ConversationList {
  readonly element = h('section', { id: 'conversations', 'aria-label': 'Conversations', hidden: true });
  private readonly items = h('ul', { id: 'conversationItems', class: 'conversation-items' });
  private readonly status = h('div', { id: 'conversationStatus', class: 'muted', role: 'status' });
  /** The conversation whose Delete is being confirmed: still asked after the list reloads (on
   * show, its last rows clickable meanwhile, and on `conversations/didChange`), not dropped with
   * the row it was on. (A title being typed is not re-created: removing its row blurs the input,
   * and a blur saves the title.) */
  private confirming: string | null = null;

  constructor(private readonly hooks: ConversationListHooks) {
    this.element.append(h('h2', null, 'Conversations'), this.status, this.items);
  }

  get shown(): boolean { return !this.element.hidden; }

  async show(): Promise<void> {
    this.element.hidden = false;
    await this.refresh();
  }

  hide(): void {
    this.element.hidden = true;
    this.confirming = null; // a list closed is an answer: keep it
  }

  async refresh(): Promise<void> {
    this.status.textContent = 'Loading…';
    try {
      const { conversations } = await request('openrouter/conversations/list', {});
      this.status.textContent = conversations.length ? '' : 'No saved conversations yet.';
      const hadFocus = this.items.contains(document.activeElement);
      this.items.replaceChildren(...conversations.map((c) => this.item(c)));
      if (hadFocus) this.items.querySelector<HTMLElement>('.conversation-delete-confirm')?.focus();
    } catch (err) {
      this.status.textContent = `Could not load the conversations: ${describe(err)}`;
    }
  }

  private item(summary: ConversationSummary): HTMLElement {
    const li = h('li', { class: 'conversation', 'data-id': summary.id });
    if (summary.id === this.hooks.currentId()) li.setAttribute('aria-current', 'true');
    const title = h('button', { type: 'button', class: 'conversation-open link-button', title: 'Open' }, summary.title || 'Untitled');
    title.addEventListener('click', () => this.hooks.open(summary.id));
    const meta = h('div', { class: 'conversation-meta muted' },
      `${summary.messageCount} messages · ${formatUsd(summary.totals.costUsd)} · ${formatAge(summary.updatedAt)}`);
    const actions = h('div', { class: 'conversation-actions' },
      this.iconButton('Rename', 'edit', 'conversation-rename', () => this.rename(li, summary)),
      this.iconButton('Export to Markdown', 'export', 'conversation-export', () => void this.export(summary)),
      this.iconButton('Delete', 'trash', 'conversation-delete', () => this.confirmDelete(li, summary)));
    li.append(h('div', { class: 'conversation-main' }, title, meta), actions);
    if (this.confirming === summary.id) this.confirmDelete(li, summary);
    return li;
  }

  private iconButton(label: string, icon: string, cls: string, onClick: () => void): HTMLElement {
    const button = h('button', { type: 'button', class: `icon-button ${cls}`, title: label, 'aria-label': label },
      h('span', { class: `codicon codicon-${icon}`, 'aria-hidden': 'true' }));
    button.addEventListener('click', onClick);
    return button;
  }

  private rename(li: HTMLElement, summary: ConversationSummary): void {
    const input = h('input', { type: 'text', class: 'conversation-title-input', 'aria-label': 'New title', value: summary.title });
    const main = li.querySelector('.conversation-main')!;
    const before = Array.from(main.childNodes);
    main.replaceChildren(input);
    input.focus();
    input.select();
    const finish = async (save: boolean): Promise<void> => {
      const title = input.value.trim();
      if (!save || !title || title === summary.title) { main.replaceChildren(...before); return; }
      try {
        const renamed = await request('openrouter/conversations/rename', { conversationId: summary.id, title });
        this.hooks.renamed(renamed);
        li.replaceWith(this.item(renamed));
      } catch (err) {
        main.replaceChildren(...before);
        this.status.textContent = `Could not rename: ${describe(err)}`;
      }
    };
    input.addEventListener('keydown', (e) => {
      if (e.key === 'Enter') { e.preventDefault(); void finish(true); }
      if (e.key === 'Escape') { e.preventDefault(); e.stopPropagation(); void finish(false); }
    });
    input.addEventListener('blur', () => { if (input.isConnected) void finish(true); });
  }

  private confirmDelete(li: HTMLElement, summary: ConversationSummary): void {
    const actions = li.querySelector('.conversation-actions')!;
    const before = Array.from(actions.childNodes);
    const yes = h('button', { type: 'button', class: 'conversation-delete-confirm danger-button' }, 'Delete');
    const no = h('button', { type: 'button', class: 'conversation-delete-cancel secondary-button' }, 'Keep');
    this.confirming = summary.id;
    yes.addEventListener('click', async () => {
      this.confirming = null;
      try {
        await request('openrouter/conversations/delete', { conversationId: summary.id });
        // The row now shown for it (the list may have reloaded meanwhile).
        this.items.querySelector(`[data-id="${CSS.escape(summary.id)}"]`)?.remove();
        this.hooks.deleted(summary.id);
        if (!this.items.childElementCount) this.status.textContent = 'No saved conversations yet.';
      } catch (err) {
        actions.replaceChildren(...before);
        this.status.textContent = `Could not delete: ${describe(err)}`;
      }
    });
    no.addEventListener('click', () => {
      this.confirming = null;
      actions.replaceChildren(...before);
    });
    actions.replaceChildren(yes, no);
    yes.focus();
  }

  private async export(summary: ConversationSummary): Promise<void> {
    try {
      const { markdown } = await request('openrouter/conversations/export', { conversationId: summary.id });
      await editorAction('openMarkdown', markdown);
    } catch (err) {
      this.status.textContent = `Could not export: ${describe(err)}`;
    }
  }
}

export function describe(err: unknown): string {
  return err instanceof RequestError ? err.display : err instanceof Error ? err.message : String(err);
}
