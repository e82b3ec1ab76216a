#!/usr/bin/env bash
# The four performance figures of README "Benchmarks", each paired in one run with its anchor:
#
#   1. the built-in suite (release, JDK 17's 200,000 JCEKS iterations) vs the article's loop by
#      hand with openssl + keytool (scenarios/bench/article.sh);
#   2. `harness connect` vs `openssl s_client -verify_return_error`, whole process, against the
#      same local mock receiver;
#   3. `harness keystore list` vs `keytool -list` on a 10,000-entry JCEKS (stores written by
#      `cargo bench -p harness --bench keystore`, which also reports peak RSS at 1k/10k/50k);
#   4. an RSA-2048 world, cold (`cargo bench -p harness --bench pki`).
#
# Uses hyperfine when present (`apt-get install -y hyperfine`), else a plain `time` loop.
# Usage: bash bench/compare.sh [suite|connect|list|rsa]...   (default: all four)
# Run it on an otherwise idle machine when you can; ratios survive load better than times.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
work=$(mktemp -d)
receiver_pid=
cleanup() {
  [ -n "$receiver_pid" ] && kill "$receiver_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

cargo build --release -q -p harness -p mock-receiver -p scenarios
bin=$root/target/release

# compare NAME_A CMD_A NAME_B CMD_B [RUNS]
compare() {
  local runs=${5:-10}
  if command -v hyperfine >/dev/null; then
    hyperfine -N --warmup 1 --runs "$runs" --style basic -n "$1" "$2" -n "$3" "$4"
  else
    for pair in "$1|$2" "$3|$4"; do
      echo "== ${pair%%|*} ($runs runs)"
      time (for _ in $(seq "$runs"); do bash -c "${pair#*|}" </dev/null >/dev/null 2>&1; done)
    done
  fi
}

suite() {
  echo "### 1. built-in suite vs the article's loop by hand (openssl + keytool)"
  command -v keytool >/dev/null || { echo "skipped: keytool missing"; return; }
  compare "scenarios run (the built-in suite)" "$bin/scenarios run" \
    "article.sh (1 scenario by hand)" "bash $root/scenarios/bench/article.sh" 5
}

connect() {
  echo "### 2. harness connect vs openssl s_client, same receiver"
  "$bin/mock-receiver" serve --profile full-chain --pki-dir "$work/pki" --log off \
    > "$work/receiver.out" 2>/dev/null &
  receiver_pid=$!
  for _ in $(seq 100); do [ -s "$work/receiver.out" ] && break; sleep 0.05; done
  local addr port
  addr=$(head -1 "$work/receiver.out")
  port=${addr##*:}
  # Both started directly (hyperfine -N: no shell, stdin closed, so s_client ends after
  # its handshake), 200 runs each: a process lives ~8 ms and single runs vary by +-1 ms.
  compare "harness connect" \
    "$bin/harness connect localhost:$port --keystore $work/pki/receiver-root.cert.pem" \
    "openssl s_client" \
    "openssl s_client -connect localhost:$port -servername localhost -CAfile $work/pki/receiver-root.cert.pem -verify_return_error" 200
  kill "$receiver_pid"; wait "$receiver_pid" 2>/dev/null || true; receiver_pid=
}

list() {
  echo "### 3. harness keystore list vs keytool -list, 10,000-entry JCEKS"
  local dir=$root/target/bench-keystores
  BENCH_KEYSTORE_DIR=$dir cargo bench -q -p harness --bench keystore -- --bench
  command -v keytool >/dev/null || { echo "skipped: keytool missing"; return; }
  export BENCH_STOREPASS=bench-Secret1
  compare "harness keystore list" \
    "$bin/harness keystore list $dir/bench-10000.jceks --storepass-env BENCH_STOREPASS" \
    "keytool -list" \
    "keytool -list -keystore $dir/bench-10000.jceks -storetype JCEKS -storepass:env BENCH_STOREPASS" 5
}

rsa() {
  echo "### 4. RSA-2048 world, cold"
  cargo bench -q -p harness --bench pki -- --bench
}

for part in "${@:-suite connect list rsa}"; do
  for p in $part; do "$p"; done
done
