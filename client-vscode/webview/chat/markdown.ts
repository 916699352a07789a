/**
 * Replies as Markdown: markdown-it renders (raw HTML off, so a `<script>` in a reply is text),
 * DOMPurify sanitises what it made (no scripts, handlers or inline styles, which the CSP would
 * refuse anyway), and each code block gets Copy and Insert buttons.
 *
 * While a reply streams, `StreamingMarkdown` re-renders at most once per `intervalMs`: a long
 * answer costs one render per interval, not one per increment (which would be quadratic).
 */
import DOMPurify from 'dompurify';
import MarkdownIt from 'markdown-it';

const md = new MarkdownIt({ html: false, linkify: true, breaks: false });
// Remote images would be refused by the CSP (img-src allows the view and data: URLs only).
md.disable('image');

const PURIFY = {
  RETURN_DOM_FRAGMENT: true as const,
  FORBID_ATTR: ['style'],
  FORBID_TAGS: ['style', 'img', 'form', 'input'],
};

export interface CodeBlockActions {
  copy(code: string): void;
  insert(code: string): void;
}

/** Renders `text` into `target`, replacing what was there. */
export function renderMarkdown(target: HTMLElement, text: string, actions: CodeBlockActions): void {
  const fragment = DOMPurify.sanitize(md.render(text), PURIFY);
  for (const pre of Array.from(fragment.querySelectorAll('pre'))) decorateCodeBlock(pre, actions);
  target.replaceChildren(fragment);
}

function decorateCodeBlock(pre: HTMLPreElement, actions: CodeBlockActions): void {
  const code = pre.querySelector('code');
  const language = /language-(\S+)/.exec(code?.className ?? '')?.[1] ?? '';
  const text = (): string => (code ?? pre).textContent ?? '';
  const wrapper = document.createElement('div');
  wrapper.className = 'code-block';
  const bar = document.createElement('div');
  bar.className = 'code-actions';
  const label = document.createElement('span');
  label.className = 'code-language muted';
  label.textContent = language;
  bar.append(label,
    actionButton('Copy', 'copy', 'code-copy', () => actions.copy(text())),
    actionButton('Insert at cursor', 'insert', 'code-insert', () => actions.insert(text())));
  pre.replaceWith(wrapper);
  wrapper.append(bar, pre);
}

function actionButton(label: string, icon: string, cls: string, onClick: () => void): HTMLButtonElement {
  const button = document.createElement('button');
  button.type = 'button';
  button.className = `icon-button ${cls}`;
  button.title = label;
  button.setAttribute('aria-label', label);
  const glyph = document.createElement('span');
  glyph.className = `codicon codicon-${icon}`;
  glyph.setAttribute('aria-hidden', 'true');
  const words = document.createElement('span');
  words.textContent = label;
  button.append(glyph, words);
  button.addEventListener('click', onClick);
  return button;
}

/** A reply's text rendered as it grows: at most one render per interval, and one at the end. */
export class StreamingMarkdown {
  private text = '';
  private timer: ReturnType<typeof setTimeout> | undefined;
  renders = 0;

  constructor(
    private readonly target: () => HTMLElement | null,
    private readonly actions: CodeBlockActions,
    private readonly intervalMs = 100,
  ) {}

  update(text: string): void {
    this.text = text;
    if (this.timer === undefined) this.timer = setTimeout(() => this.flush(), this.intervalMs);
  }

  flush(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    const target = this.target();
    if (!target) return;
    this.renders++;
    renderMarkdown(target, this.text, this.actions);
    // How many renders this reply took so far: the test checks it stays bounded by time.
    target.dataset.renders = String(this.renders);
  }

  dispose(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
