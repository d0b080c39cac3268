#!/usr/bin/env bash
# Vendor KaTeX's script into tools/katex: the render step runs it at build time
# (tools/literate/typeset.py, in mini-racer's V8) to write every formula as MathML,
# so no page loads math JavaScript or fonts. Run by hand when upgrading KaTeX
# (needs npm); builds and tests use the committed copy.
set -euo pipefail
version="${1:-0.19.1}"
cd "$(dirname "$0")/.."
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "katex@$version" >/dev/null && tar xzf "katex-$version.tgz")
dest=tools/katex
mkdir -p "$dest"
cp "$work/package/dist/katex.min.js" "$dest/"
cp "$work/package/LICENSE" "$dest/LICENSE.txt"
echo "KaTeX $version vendored into $dest"
