#!/usr/bin/env bash
# The VS Code extension's whole test: clean install, generated types up to date, type-check,
# lint, build, the webviews in headless Chromium against the real server and emulator, then the
# packaged VSIX in a real VS Code (code-server). Screenshots and logs: ../test-artifacts/.
#
# Needs: Node >= 20 with npm, /usr/bin/chromium (or CHROMIUM_PATH), libkrb5-dev and pkg-config
# (code-server's native modules), the repo's .venv with the package installed (or
# OPENROUTER_LSP_PYTHON). SKIP_E2E=1 skips the code-server part.
set -euo pipefail
cd "$(dirname "$0")/.."
repo="$(cd .. && pwd)"
export OPENROUTER_LSP_PYTHON="${OPENROUTER_LSP_PYTHON:-$repo/.venv/bin/python}"
export OPENROUTER_LSP_ARTIFACTS_ROOT="${OPENROUTER_LSP_ARTIFACTS_ROOT:-$repo/test-artifacts}"
start=$(date +%s)
step() { printf '\n== %s (%ss)\n' "$1" "$(( $(date +%s) - start ))"; }

step "npm ci"
npm ci --no-audit --no-fund
step "generated wire types match schemas/"
node scripts/gen-types.mjs --check
step "type-check"
npm run -s typecheck
step "lint"
npx eslint .
step "build"
node scripts/build.mjs
step "webview tests (headless Chromium, real server + emulator)"
OPENROUTER_LSP_ARTIFACTS="$OPENROUTER_LSP_ARTIFACTS_ROOT/vscode-webview" node --test --test-concurrency=1 out/test/browser/
if [[ "${SKIP_E2E:-}" == 1 ]]; then
  step "code-server end to end: skipped (SKIP_E2E=1)"
  exit 0
fi
step "package the VSIX"
npm run -s package
step "install code-server (Node 24)"
bash e2e/setup.sh
step "VS Code end to end (code-server)"
OPENROUTER_LSP_ARTIFACTS="$OPENROUTER_LSP_ARTIFACTS_ROOT/vscode-e2e" node --test e2e/vscode.e2e.test.mjs
step "done"
