/**
 * What the settings panel's parts (reasoning controls, advanced routing, sign-in) need from the
 * page: the settings as they would be after Save, the chosen model's catalogue entry, a way to
 * record an edit and to save. main.ts owns the state; the parts only read and edit through this.
 */
import type { ModelInfo, ModelVariant, ReasoningEffort, Routing, SettingsDocument } from '../../src/wire';
import { h } from '../common/format';

/** The edits the parts make, a subset of main.ts's Edits. */
export interface PartEdit {
  reasoningEffort?: ReasoningEffort;
  maxOutputTokens?: number | null;
  modelVariant?: ModelVariant | null;
  fallbackModels?: string[];
  routing?: Partial<Routing>;
}

export interface PanelContext {
  effective(): SettingsDocument | undefined;
  /** The chosen model's catalogue entry; undefined while loading or for an id it does not list. */
  model(): ModelInfo | undefined;
  edit(change: PartEdit): void;
  save(): void;
}

/** Where the server's error about `path` appears; main.ts fills it (its previous sibling is the field). */
export function fieldError(path: string): HTMLElement {
  return h('div', { class: 'field-error', 'data-path': path, role: 'alert', hidden: true });
}

/** A field's number, or null when empty (a number field reads "" for what is not a number). */
export function numberOrNull(text: string): number | null {
  const trimmed = text.trim();
  if (trimmed === '') return null;
  const n = Number(trimmed);
  return Number.isFinite(n) ? n : null;
}

/** Enter in a text field saves, as it does in the key field. */
export function saveOnEnter(field: HTMLElement, ctx: PanelContext): void {
  field.addEventListener('keydown', (e) => { if ((e as KeyboardEvent).key === 'Enter') ctx.save(); });
}

export function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
