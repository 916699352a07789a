#!/usr/bin/env bash
# Installs the language server and its pure-Python dependencies into server-bundle/, which the
# VSIX carries: the extension puts it on PYTHONPATH, so a user needs only Python >= 3.10.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
repo="$(cd "$here/.." && pwd)"
source="${OPENROUTER_LSP_SOURCE:-$repo}"
python="${OPENROUTER_LSP_PYTHON:-$repo/.venv/bin/python}"
rm -rf "$here/server-bundle"
# --no-compile: .pyc files are made by the user's interpreter, whatever its version.
"$python" -m pip install --quiet --disable-pip-version-check --no-compile --no-cache-dir \
  --only-binary=:all: --no-binary=openrouter-lsp --target "$here/server-bundle" "$source"
# The emulator ships for tests and demos only; the extension never starts it.
rm -rf "$here/server-bundle/openrouter_emulator" "$here/server-bundle/bin"
find "$here/server-bundle" -name '__pycache__' -type d -prune -exec rm -rf {} +
# keyring's Linux SecretService backend pulls in cryptography and cffi, native modules that would
# tie the VSIX to one platform and Python version. Without them keyring uses whatever backend the
# user's own Python has, and the server falls back to its 0600 key file.
( cd "$here/server-bundle" && rm -rf cryptography cryptography-*.dist-info cffi cffi-*.dist-info _cffi_backend*.so \
    pycparser pycparser-*.dist-info secretstorage secretstorage-*.dist-info )
# orjson only speeds up decoding big messages (lsp/json_decode.py falls back to the standard
# library without it): a native module too.
( cd "$here/server-bundle" && rm -rf orjson orjson-*.dist-info )
if find "$here/server-bundle" -name '*.so' | grep -q .; then
  echo "error: native modules left in server-bundle (the VSIX would be platform-specific):" >&2
  find "$here/server-bundle" -name '*.so' >&2
  exit 1
fi
echo "server-bundle: $(du -sh "$here/server-bundle" | cut -f1)"
