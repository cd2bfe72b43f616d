#!/usr/bin/env bash
# Peer comparison: gRPC-java plaintext, DAP Stream plaintext and DAP Stream secure, 64 KiB one-way
# by default, each server and each client in a JVM of its own on 127.0.0.1, measured in turns
# (round 1: grpc, plaintext, secure; round 2: ...) so the ratios come from one run.
#
#   src/peers/run.sh [--java PATH] [--size BYTES] [--rounds N] [--warmup D] [--duration D] [--no-build]
#                    [-- extra bench options, default: --compression off]
#
# Builds the application jar and the peer classes (./mvnw -Ppeers; offline unless PEERS_ONLINE=1),
# starts a gRPC server, a secure node and a plaintext node (dap.stream.security.enabled=false),
# then per round runs the gRPC client and `bench --target` against each node. Every line is
# preceded by the machine's load average. Servers are stopped on exit.
set -euo pipefail
cd "$(dirname "$0")/../.."

JAVA=java
SIZE=65536
ROUNDS=3
WARMUP=20s
DURATION=10s
BUILD=1
BENCH_EXTRA=(--compression off)
# Ports of the three servers and the nodes' HTTP and management interfaces (loopback only).
GRPC_PORT=${GRPC_PORT:-9501}
SECURE_PORT=${SECURE_PORT:-9502}
PLAIN_PORT=${PLAIN_PORT:-9503}
HTTP_BASE=${HTTP_BASE:-9510}
# How long a server may take to start listening.
START_TIMEOUT_S=60

while [[ $# -gt 0 ]]; do
  case "$1" in
    --java) JAVA=$2; shift 2 ;;
    --size) SIZE=$2; shift 2 ;;
    --rounds) ROUNDS=$2; shift 2 ;;
    --warmup) WARMUP=$2; shift 2 ;;
    --duration) DURATION=$2; shift 2 ;;
    --no-build) BUILD=0; shift ;;
    --) shift; BENCH_EXTRA=("$@"); break ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done

if [[ $BUILD == 1 ]]; then
  OFFLINE=-o
  [[ ${PEERS_ONLINE:-0} == 1 ]] && OFFLINE=
  ./mvnw -B -ntp -q $OFFLINE package -DskipTests
  ./mvnw -B -ntp -q $OFFLINE -Ppeers test-compile dependency:build-classpath \
      -Dmdep.outputFile=target/peers-cp.txt -Dmdep.includeScope=test
fi
APP=target/quarkus-app/quarkus-run.jar
CP="target/test-classes:$(cat target/peers-cp.txt)"
LOGS=$(mktemp -d /tmp/dap-peers.XXXXXX)
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
}
trap cleanup EXIT

await() { # log file, text that says the server listens
  for ((i = 0; i < START_TIMEOUT_S * 10; i++)); do
    grep -q "$2" "$1" 2>/dev/null && return 0
    sleep 0.1
  done
  echo "server did not start, see $1" >&2; exit 1
}

node() { # name, stream port, http port, extra -D options...
  local name=$1 port=$2 http=$3; shift 3
  "$JAVA" -Ddap.stream.tcp.host=127.0.0.1 -Ddap.stream.tcp.port="$port" \
      -Dquarkus.http.host=127.0.0.1 -Dquarkus.http.port="$http" \
      -Dquarkus.management.host=127.0.0.1 -Dquarkus.management.port=$((http + 1)) \
      "$@" -jar "$APP" > "$LOGS/$name.log" 2>&1 &
  PIDS+=($!)
}

echo "peers: size=$SIZE rounds=$ROUNDS warmup=$WARMUP duration=$DURATION bench extra: ${BENCH_EXTRA[*]}"
"$JAVA" -version 2>&1 | head -n 1
"$JAVA" -cp "$CP" org.dapstream.peers.PeerBench server grpc --port "$GRPC_PORT" > "$LOGS/grpc.log" 2>&1 &
PIDS+=($!)
node secure "$SECURE_PORT" "$HTTP_BASE"
node plain "$PLAIN_PORT" $((HTTP_BASE + 2)) -Ddap.stream.security.enabled=false
await "$LOGS/grpc.log" "listening"
await "$LOGS/secure.log" "listening on 127.0.0.1:$SECURE_PORT"
await "$LOGS/plain.log" "listening on 127.0.0.1:$PLAIN_PORT"

measure() { # label, command...
  local label=$1; shift
  local load line
  load=$(cut -d' ' -f1 /proc/loadavg)
  "$@" > "$LOGS/round$r-$label.log" 2>&1 || true
  line=$(grep -E " oneway .*MB/s" "$LOGS/round$r-$label.log" | tail -n 1 || true)
  echo "round $r $label load=$load: ${line:-FAILED, see $LOGS/round$r-$label.log}"
  echo "$r $label $(sed -E 's/.* ([0-9.]+) MB\/s.*/\1/' <<< "${line:-x 0 MB/s}")" >> "$LOGS/figures"
}

for ((r = 1; r <= ROUNDS; r++)); do
  measure grpc "$JAVA" -cp "$CP" org.dapstream.peers.PeerBench client grpc --target "127.0.0.1:$GRPC_PORT" \
      --size "$SIZE" --warmup "$WARMUP" --duration "$DURATION"
  measure dap-plain "$JAVA" -jar "$APP" bench --target "127.0.0.1:$PLAIN_PORT" --security off \
      --size "$SIZE" --warmup "$WARMUP" --duration "$DURATION" "${BENCH_EXTRA[@]}"
  measure dap-secure "$JAVA" -jar "$APP" bench --target "127.0.0.1:$SECURE_PORT" --security on \
      --size "$SIZE" --warmup "$WARMUP" --duration "$DURATION" "${BENCH_EXTRA[@]}"
done

echo "ratios per round (MB/s):"
awk '{ v[$1 " " $2] = $3; rounds[$1] = 1 }
     END { for (r in rounds) {
             g = v[r " grpc"]; p = v[r " dap-plain"]; s = v[r " dap-secure"];
             pg = 0; sg = 0; sp = 0;
             if (g > 0) { pg = p / g; sg = s / g }
             if (p > 0) { sp = s / p }
             printf "round %s: plain/grpc %.3f secure/grpc %.3f secure/plain %.3f\n", r, pg, sg, sp } }' "$LOGS/figures" | sort
echo "logs: $LOGS"
