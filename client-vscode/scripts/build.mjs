// Builds the extension (Node, CommonJS), the two webviews (browser bundles + CSS, codicons)
// and the browser tests. Usage: node scripts/build.mjs [--production]
import { build } from 'esbuild';
import { cpSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const production = process.argv.includes('--production');
const common = { bundle: true, sourcemap: !production, minify: production, logLevel: 'warning', absWorkingDir: root };

rmSync(join(root, 'dist'), { recursive: true, force: true });
rmSync(join(root, 'out'), { recursive: true, force: true });

await Promise.all([
  build({
    ...common,
    entryPoints: ['src/extension.ts'],
    outfile: 'dist/extension.js',
    platform: 'node',
    format: 'cjs',
    target: 'node18',
    external: ['vscode'],
  }),
  build({
    ...common,
    entryPoints: { settings: 'webview/settings/main.ts', chat: 'webview/chat/main.ts' },
    outdir: 'dist/webview',
    platform: 'browser',
    format: 'iife',
    target: 'chrome114',
  }),
  build({
    ...common,
    entryPoints: { settings: 'webview/settings/settings.css', chat: 'webview/chat/chat.css' },
    outdir: 'dist/webview',
    loader: { '.css': 'css' },
  }),
  build({
    ...common,
    minify: false,
    sourcemap: true,
    entryPoints: readdirSync(join(root, 'test/browser')).filter((f) => f.endsWith('.test.ts') || f.endsWith('.bench.ts')).map((f) => `test/browser/${f}`),
    outdir: 'out/test/browser',
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    packages: 'external',
  }),
]);

const codicons = join(root, 'node_modules/@vscode/codicons/dist');
mkdirSync(join(root, 'dist/webview/codicons'), { recursive: true });
for (const file of ['codicon.css', 'codicon.ttf']) {
  cpSync(join(codicons, file), join(root, 'dist/webview/codicons', file));
}
console.log(`built ${production ? '(production) ' : ''}dist/ and out/`);
