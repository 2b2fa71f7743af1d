#!/usr/bin/env bash
# Rebuilds the report front end into crates/report/assets/ (report.js, report.css) and the
# team server's pages, which share its code, into crates/serve/assets/ (serve.js, serve.css).
# Those built files are committed, so `cargo build` works without Node; run this after
# changing anything in report/src/.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out="$here/../crates/report/assets"
serve_out="$here/../crates/serve/assets"
cd "$here"
if [ ! -x node_modules/.bin/esbuild ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi
mkdir -p "$out"
banner='/* lockstep case report. Bundles sigma (MIT, github.com/jacomyal/sigma.js) and graphology (MIT, github.com/graphology/graphology). */'
node_modules/.bin/esbuild src/main.js --bundle --minify --format=iife --target=es2020 \
  --platform=browser --legal-comments=eof --charset=utf8 \
  "--banner:js=$banner" --log-level=warning --outfile="$out/report.js"
node_modules/.bin/esbuild src/report.css --minify --charset=utf8 --log-level=warning --outfile="$out/report.css"
mkdir -p "$serve_out"
node_modules/.bin/esbuild src/serve/app.js --bundle --minify --format=iife --target=es2020 \
  --platform=browser --legal-comments=eof --charset=utf8 \
  "--banner:js=$banner" --log-level=warning --outfile="$serve_out/serve.js"
node_modules/.bin/esbuild src/serve/serve.css --minify --charset=utf8 --log-level=warning --outfile="$serve_out/serve.css"
ls -l "$out"/report.js "$out"/report.css "$serve_out"/serve.js "$serve_out"/serve.css | awk '{print $5, $9}'
