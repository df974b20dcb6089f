#!/usr/bin/env bash
# `npm test`: the whole suite — unit, property, vector, integration (worker_threads +
# a real relay) and end-to-end in Chromium. Prints a closing `N passed, N failed` line.
set -uo pipefail
cd "$(dirname "$0")/.."

if [ ! -d node_modules ]; then
  echo "Installing dependencies (npm ci)…"
  npm ci --no-audit --no-fund || exit 1
fi

chromium=${CHROMIUM_PATH:-/usr/bin/chromium}
if [ ! -x "$chromium" ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "Chromium is missing; the browser tests need it. Installing it with apt-get…"
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) || {
      echo "Could not install Chromium. Run: apt-get update && apt-get install -y chromium"
      exit 1
    }
  else
    echo "Chromium is missing; the browser tests need it. Install it, then run npm test again:"
    echo "  sudo apt-get update && sudo apt-get install -y chromium"
    exit 1
  fi
fi

# The end-to-end tests load the built web app from dist/.
npx vite build --logLevel warn || { echo "0 passed, 1 failed"; exit 1; }

results=$(mktemp)
npx vitest run --reporter=default --reporter=json --outputFile="$results" "$@"
status=$?
node scripts/summary.ts "$results" || status=1
rm -f "$results"
exit $status
