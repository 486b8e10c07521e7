#!/usr/bin/env bash
# The Slack Bolt for JavaScript peer (../shared/bench/bolt-js: signature check, parse, one SQLite
# insert, ack) and pimbot (`cargo bench --bench elevation -- --serve ADDR --upstreams …`: the real
# service alone in its process, its worker draining what the acks enqueue, SQLite; the emulator
# and the fake Slack in another, `-- --fakes`) under the same load generator (wrk, 50
# connections, 15 s, the same signed `/pim request …` every time), alternating, ROUNDS times.
# Prints each run and the ratios pimbot / Bolt. Installs what it lacks (wrk from Debian, the
# peer's npm packages in a copy under target/).
#   tests/bench/peer.sh            # ROUNDS=2 DURATION=15s CONNECTIONS=50 BOLT_DIR=../shared/bench/bolt-js BENCH_BIN=
set -euo pipefail
cd "$(dirname "$0")/../.."
ROUNDS="${ROUNDS:-2}"
DURATION="${DURATION:-15s}"
CONNECTIONS="${CONNECTIONS:-50}"
BOLT_DIR="${BOLT_DIR:-../shared/bench/bolt-js}"
SECRET="bench-signing-secret"
PIMBOT_PORT="${PIMBOT_PORT:-38601}"
BOLT_PORT="${BOLT_PORT:-38602}"
work="target/bench-peer"
mkdir -p "$work"

if ! command -v wrk >/dev/null; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null
fi
command -v node >/dev/null || { echo "node (>= 20) is needed for the Bolt peer"; exit 1; }
if [ ! -d "$work/bolt-js/node_modules" ]; then
  rm -rf "$work/bolt-js" && mkdir -p "$work/bolt-js"
  cp "$BOLT_DIR"/{app.js,package.json,package-lock.json,run.sh} "$work/bolt-js/"
  npm ci --prefix "$work/bolt-js" --no-audit --no-fund >/dev/null
fi

# BENCH_BIN: a benchmark binary built before (e.g. of another commit, to compare).
bin="${BENCH_BIN:-$(cargo bench --locked --bench elevation --no-run --message-format=json 2>/dev/null \
  | grep -o '"executable":"[^"]*"' | grep elevation | tail -n 1 | cut -d'"' -f4)}"
[ -x "$bin" ] || { echo "could not build the benchmark"; exit 1; }

pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; }
trap cleanup EXIT
rm -f "$work/bolt.sqlite"*
SLACK_SIGNING_SECRET="$SECRET" PIM_DB_PATH="$PWD/$work/bolt.sqlite" \
  "$work/bolt-js/run.sh" "$BOLT_PORT" >"$work/bolt.log" 2>&1 &
bolt_pid=$!; pids+=("$bolt_pid")
# The stand-ins in a process of their own, so that pimbot's figures are pimbot's alone.
"$bin" --fakes >"$work/fakes.log" 2>&1 &
pids+=("$!")
for _ in $(seq 1 100); do grep -q '^response_url ' "$work/fakes.log" && break; sleep 0.1; done
upstreams=$(awk '/^upstreams / { print $2 "," $3 "," $4 }' "$work/fakes.log")
[ -n "$upstreams" ] || { echo "the stand-ins did not start"; cat "$work/fakes.log"; exit 1; }
"$bin" --serve "127.0.0.1:$PIMBOT_PORT" --upstreams "$upstreams" >"$work/pimbot.log" 2>&1 &
pimbot_pid=$!; pids+=("$pimbot_pid")
for port in "$BOLT_PORT" "$PIMBOT_PORT"; do
  for _ in $(seq 1 100); do
    curl -s -o /dev/null "http://127.0.0.1:$port/" && break
    sleep 0.1
  done
done
sleep 1
# pimbot's worker answers each command at the fake Slack's response_url, as Slack would have it.
response_url=$(awk '/^response_url / { print $2 }' "$work/fakes.log" | sed 's/:/%3A/g; s#/#%2F#g')

rss_kib() { awk -v f="$2:" '$1 == f { print $2 }' "/proc/$1/status"; }
cpu_ticks() { sed 's/.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 }'; }
idle_bolt=$(rss_kib "$bolt_pid" VmRSS); idle_pimbot=$(rss_kib "$pimbot_pid" VmRSS)

# One wrk Lua script per run: the signed request, its timestamp fresh (Slack's 5-minute window).
lua_for() {
  local url_path="$1" body ts sig
  body="team_id=T1&channel_id=CTEAMFOO&user_id=UALICE&command=%2Fpim&text=request+app1-secrets+for+1h+ticket+INC-1+bench&response_url=$response_url&trigger_id=bench"
  ts=$(date +%s)
  sig="v0=$(printf 'v0:%s:%s' "$ts" "$body" | openssl dgst -sha256 -hmac "$SECRET" | awk '{ print $NF }')"
  cat >"$work/request.lua" <<LUA
wrk.method = "POST"
wrk.path = "$url_path"
wrk.body = "$body"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["X-Slack-Request-Timestamp"] = "$ts"
wrk.headers["X-Slack-Signature"] = "$sig"
LUA
}

# run NAME PORT PID: prints "acks_per_s p50_ms p99_ms cpu_ms_per_ack"
run() {
  local name="$1" port="$2" pid="$3" out before after reqs
  lua_for "/slack/commands"
  before=$(cpu_ticks "$pid")
  out=$(wrk -t2 -c"$CONNECTIONS" -d"$DURATION" --latency -s "$work/request.lua" "http://127.0.0.1:$port")
  after=$(cpu_ticks "$pid")
  echo "$out" >"$work/wrk-$name.txt"
  reqs=$(echo "$out" | awk '/requests in/ { print $1 }')
  local non2xx; non2xx=$(echo "$out" | awk '/Non-2xx/ { print $NF }')
  [ -z "$non2xx" ] || echo "  $name: $non2xx answers were not 2xx" >&2
  echo "$out" | awk -v reqs="$reqs" -v ticks=$((after - before)) '
    function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0; if (v ~ /s$/) return v * 1000; return v }
    /Requests\/sec/ { rps = $2 }
    $1 == "50.000%" || $1 == "50%" { p50 = ms($2) }
    $1 == "99.000%" || $1 == "99%" { p99 = ms($2) }
    END { printf "%.0f %.2f %.2f %.3f\n", rps, p50, p99, ticks * 10 / reqs }'
}

# Waits until pimbot's worker has drained what the acks enqueued (the process uses under 5 % of
# a core over a second), for at most DRAIN_WAIT seconds, so that the next run of either peer has
# the machine to itself; says how long that took, or how many jobs were still queued.
DRAIN_WAIT="${DRAIN_WAIT:-60}"
drain() {
  local pid="$1" since=$SECONDS before after
  while (( SECONDS - since < DRAIN_WAIT )); do
    before=$(cpu_ticks "$pid"); sleep 1; after=$(cpu_ticks "$pid")
    if (( after - before < 5 )); then echo "drained its queue $(( SECONDS - since )) s after the run"; return; fi
  done
  echo "was still busy ${DRAIN_WAIT} s after the run (the next run shares the machine with it)"
}

printf '%-8s %5s %10s %8s %8s %12s\n' who round "acks/s" "p50 ms" "p99 ms" "CPU ms/ack"
declare -a bolt_rps pimbot_rps bolt_p99 pimbot_p99
for round in $(seq 1 "$ROUNDS"); do
  read -r rps p50 p99 cpu < <(run bolt "$BOLT_PORT" "$bolt_pid")
  printf '%-8s %5s %10s %8s %8s %12s\n' bolt "$round" "$rps" "$p50" "$p99" "$cpu"
  bolt_rps+=("$rps"); bolt_p99+=("$p99")
  read -r rps p50 p99 cpu < <(run pimbot "$PIMBOT_PORT" "$pimbot_pid")
  printf '%-8s %5s %10s %8s %8s %12s\n' pimbot "$round" "$rps" "$p50" "$p99" "$cpu"
  pimbot_rps+=("$rps"); pimbot_p99+=("$p99")
  echo "         pimbot's worker $(drain "$pimbot_pid") (RSS then $(( $(rss_kib "$pimbot_pid" VmRSS) / 1024 )) MiB)"
done
echo "RSS idle / peak (MiB): bolt $((idle_bolt / 1024)) / $(($(rss_kib "$bolt_pid" VmHWM) / 1024)), pimbot $((idle_pimbot / 1024)) / $(($(rss_kib "$pimbot_pid" VmHWM) / 1024)) (the stand-ins run in a process of their own)"
for i in "${!bolt_rps[@]}"; do
  awk -v r="$((i + 1))" -v a="${pimbot_rps[$i]}" -v b="${bolt_rps[$i]}" -v pa="${pimbot_p99[$i]}" -v pb="${bolt_p99[$i]}" \
    'BEGIN { printf "round %d: pimbot / Bolt acks/s %.2f×, p99 %.2f×\n", r, a / b, pa / pb }'
done
