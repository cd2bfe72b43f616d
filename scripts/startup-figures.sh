#!/usr/bin/env bash
# Start-to-ready time of the packaged jar (median of RUNS) and its resident memory after
# start and with 1,000 idle streams. Build first: ./mvnw -B -ntp package -DskipTests
# Usage: scripts/startup-figures.sh [path/to/quarkus-run.jar] [java]
set -euo pipefail
JAR=${1:-target/quarkus-app/quarkus-run.jar}
JAVA=${2:-java}
RUNS=${RUNS:-5}
STREAMS=${STREAMS:-1000}
STREAM_PORT=${STREAM_PORT:-18479}
HTTP_PORT=${HTTP_PORT:-18480}
MGMT_PORT=${MGMT_PORT:-18481}
LOG=$(mktemp)
trap 'rm -f "$LOG"; [[ -n "${PID:-}" ]] && kill "$PID" 2>/dev/null || true; [[ -n "${IDLE:-}" ]] && kill "$IDLE" 2>/dev/null || true' EXIT

ms() { date +%s%3N; }
rss_mib() { awk '/^VmRSS/ {printf "%.1f", $2 / 1024}' "/proc/$1/status"; }

# Ready = /q/health/ready answers 200 on the management interface (port MGMT_PORT).
ready() {
  [[ $(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$MGMT_PORT/q/health/ready") == 200 ]] && { echo health; return 0; }
  return 1
}

start() {
  : > "$LOG"
  "$JAVA" -Ddap.stream.tcp.host=127.0.0.1 -Ddap.stream.tcp.port=$STREAM_PORT \
    -Dquarkus.http.host=127.0.0.1 -Dquarkus.http.port=$HTTP_PORT \
    -Dquarkus.management.host=127.0.0.1 -Dquarkus.management.port=$MGMT_PORT \
    -jar "$JAR" > "$LOG" 2>&1 &
  PID=$!
}

times=()
for run in $(seq "$RUNS"); do
  t0=$(ms); start
  until how=$(ready); do sleep 0.02; kill -0 "$PID" || { cat "$LOG"; exit 1; }; done
  t=$(( $(ms) - t0 )); times+=("$t")
  echo "run $run: ready after $t ms (by $how)"
  if [[ $run -lt $RUNS ]]; then kill "$PID"; wait "$PID" || true; PID=; fi
done
median=$(printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
echo "start-to-ready median of $RUNS: $median ms ($("$JAVA" -version 2>&1 | head -1))"

sleep 5
echo "RSS after start (idle, 5 s settled): $(rss_mib "$PID") MiB"
: > "$LOG.idle"
APP_DIR=$(dirname "$JAR")
"$JAVA" -cp "$APP_DIR/app/*:$APP_DIR/lib/main/*" "$(dirname "$0")/IdleStreams.java" 127.0.0.1 "$STREAM_PORT" "$STREAMS" > "$LOG.idle" 2>&1 &
IDLE=$!
until grep -q "^open" "$LOG.idle"; do sleep 0.5; kill -0 "$IDLE" || { cat "$LOG.idle"; exit 1; }; done
sleep 10
echo "RSS with $STREAMS idle streams (10 s settled): $(rss_mib "$PID") MiB"
kill "$IDLE"; rm -f "$LOG.idle"
