#!/usr/bin/env bash
# Vendor KaTeX into docs/assets/katex so the site renders math without any
# request to another host. Run by hand when upgrading KaTeX (needs npm);
# builds and tests use the committed copy.
set -euo pipefail
version="${1:-0.19.1}"
cd "$(dirname "$0")/.."
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "katex@$version" >/dev/null && tar xzf "katex-$version.tgz")
dist="$work/package/dist"
dest=docs/assets/katex
rm -rf "$dest"
mkdir -p "$dest/fonts" "$dest/contrib"
cp "$dist/katex.min.js" "$dest/"
cp "$dist/contrib/auto-render.min.js" "$dest/contrib/"
cp "$dist"/fonts/*.woff2 "$dest/fonts/"
cp "$work/package/LICENSE" "$dest/LICENSE.txt"
# Every browser we target reads woff2: drop the woff/ttf fallbacks from the CSS
# so it names only files that exist.
sed -E 's/,url\(fonts\/[A-Za-z0-9_-]+\.(woff|ttf)\) format\("(woff|truetype)"\)//g' \
  "$dist/katex.min.css" > "$dest/katex.min.css"
echo "KaTeX $version vendored into $dest ($(du -sh "$dest" | cut -f1))"
