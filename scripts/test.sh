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

# Two stages on the 2 cores (issue 9). Every test waits on events and states, and its timeouts are
# deadlines for a hung test, so sharing the CPU changes how long a test takes, never its outcome.
#  1. everything but WebRTC, three files in flight (vitest.config.ts: most wait on sockets, workers,
#     Chromium and fsync);
#  2. the WebRTC files (real ICE, DTLS and SCTP timers in Chromium), two at a time, in a network
#     namespace that has only loopback (TOOLING.md), so no traffic can leave 127.0.0.1.
# Measured here (quiet, fresh clone): these two stages 6.4 min; three lanes side by side (WebRTC and the
# kill -9 test beside the rest) 6.5–7.5 min: on 2 cores the Chromium pages and the kill test's process
# starts starve each other. The kill -9 test (3–5 min, a chain of ~28 sender starts) is the long pole.
NETNS_TESTS="test/e2e/directLink.test.ts test/e2e/rtcBridge.test.ts test/e2e/rtcContract.test.ts"
exclude=()
for t in $NETNS_TESTS; do exclude+=(--exclude "$t"); done

results=$(mktemp)
netns_results=$(mktemp)
rm -f "$netns_results"
npx vitest run --reporter=default --reporter=json --outputFile="$results" "${exclude[@]}" "$@"
status=$?

if [ "$(id -u)" = 0 ] && ! command -v ip >/dev/null && command -v apt-get >/dev/null; then
  echo "Installing iproute2 (ip) for the network-namespace tests…"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq iproute2 >/dev/null || true
fi
if [ $# -eq 0 ] && unshare -n true 2>/dev/null && command -v ip >/dev/null; then
  unshare -n sh -c "ip link set lo up && exec npx vitest run --maxWorkers=2 --reporter=default --reporter=json --outputFile='$netns_results' $NETNS_TESTS" || status=1
elif [ $# -eq 0 ]; then
  echo "!!! WebRTC tests skipped: this user cannot create a network namespace (unshare -n). Run as root:"
  echo "!!!   unshare -n sh -c 'ip link set lo up && npx vitest run $NETNS_TESTS'"
  [ -n "${CI:-}" ] && status=1
fi

node scripts/summary.ts "$results" $( [ -f "$netns_results" ] && echo "$netns_results" ) || status=1
rm -f "$results" "$netns_results"
exit $status
