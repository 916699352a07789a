/**
 * The editor side of the chat view: the active editor's selection or document as an attachment
 * (the server reads its text from the documents the language client syncs), inserting a code
 * block at the cursor, the clipboard, and a conversation's export as a new Markdown document.
 */
import * as vscode from 'vscode';
import type { EditorActions } from './bridge';
import type { AttachmentChip } from './shared/contract';

const SYNCED_SCHEMES = ['file', 'untitled'];

/** The last text editor that had focus: the chat view takes focus when its buttons are clicked. */
function activeEditor(): vscode.TextEditor | undefined {
  return vscode.window.activeTextEditor ?? vscode.window.visibleTextEditors[0];
}

function fileName(uri: vscode.Uri): string {
  return uri.path.split('/').pop() || uri.toString();
}

function attach(wholeDocument: boolean): AttachmentChip | null {
  const editor = activeEditor();
  if (!editor) {
    void vscode.window.showInformationMessage('Open a file in an editor to attach it to the chat.');
    return null;
  }
  // The language client syncs `file` and `untitled` documents only (documentSelector in
  // server.ts): the server could not read any other.
  if (!SYNCED_SCHEMES.includes(editor.document.uri.scheme)) {
    void vscode.window.showInformationMessage(`Only files and untitled documents can be attached (this editor shows a ${editor.document.uri.scheme} document).`);
    return null;
  }
  const uri = editor.document.uri.toString();
  const name = fileName(editor.document.uri);
  const selection = editor.selection;
  if (wholeDocument || selection.isEmpty) return { attachment: { kind: 'document', uri }, label: name };
  const range = {
    start: { line: selection.start.line, character: selection.start.character },
    end: { line: selection.end.line, character: selection.end.character },
  };
  return { attachment: { kind: 'range', uri, range }, label: `${name}:${selection.start.line + 1}-${selection.end.line + 1}` };
}

export const vscodeEditorActions: EditorActions = {
  attachSelection: () => Promise.resolve(attach(false)),
  attachFile: () => Promise.resolve(attach(true)),
  insertAtCursor: async (text) => {
    const editor = activeEditor();
    if (!editor) {
      void vscode.window.showInformationMessage('Open a file in an editor to insert the code there.');
      return false;
    }
    return editor.edit((edit) => {
      for (const selection of editor.selections) edit.replace(selection, text);
    });
  },
  copy: async (text) => {
    await vscode.env.clipboard.writeText(text);
    return true;
  },
  openMarkdown: async (markdown) => {
    const document = await vscode.workspace.openTextDocument({ language: 'markdown', content: markdown });
    await vscode.window.showTextDocument(document, { preview: false });
    return true;
  },
};
