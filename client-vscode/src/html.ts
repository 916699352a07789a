/** The HTML shell of every webview: a strict CSP with a nonce, codicons, one script, one style. */
import { randomBytes } from 'node:crypto';

export interface WebviewAssets {
  /** The webview's `cspSource` (VS Code) or the harness's origin. */
  cspSource: string;
  title: string;
  scriptUri: string;
  styleUri: string;
  codiconUri: string;
  /** Extra style sheets (the browser harness adds a VS Code theme). */
  extraStyleUris?: string[];
}

export function makeNonce(): string {
  return randomBytes(16).toString('base64');
}

export function renderWebviewHtml(assets: WebviewAssets, nonce = makeNonce()): string {
  const csp = [
    `default-src 'none'`,
    `img-src ${assets.cspSource} data:`,
    `font-src ${assets.cspSource}`,
    `style-src ${assets.cspSource}`,
    `script-src 'nonce-${nonce}'`,
  ].join('; ');
  const extra = (assets.extraStyleUris ?? [])
    .map((uri) => `<link rel="stylesheet" href="${escapeAttr(uri)}">`)
    .join('\n    ');
  return `<!DOCTYPE html>
<html lang="en">
  <head>
    <meta charset="UTF-8">
    <meta http-equiv="Content-Security-Policy" content="${csp}">
    <meta name="viewport" content="width=device-width, initial-scale=1.0">
    <link rel="stylesheet" href="${escapeAttr(assets.codiconUri)}" id="vscode-codicon-stylesheet">
    ${extra}
    <link rel="stylesheet" href="${escapeAttr(assets.styleUri)}">
    <title>${escapeAttr(assets.title)}</title>
  </head>
  <body>
    <main id="app" aria-busy="true"></main>
    <script nonce="${nonce}" src="${escapeAttr(assets.scriptUri)}"></script>
  </body>
</html>`;
}

function escapeAttr(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');
}
