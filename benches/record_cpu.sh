#!/usr/bin/env bash
# What recording costs: the same `--plain --auto` pass of the default story
# on the simulator, run in turn without and with `--record`, each N times;
# prints the CPU (user + system, all threads, from the shell's `times` of
# the child) of each and the recording's share, and the recording's size
# per minute of show time.
# Usage: benches/record_cpu.sh [runs] [speed]   (default 3 and 5)
# Needs a built binary (`cargo build --release`); CHAOSDECK_BIN overrides
# target/release/chaosdeck.
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-3}"
speed="${2:-5}"
bin="$(realpath "${CHAOSDECK_BIN:-target/release/chaosdeck}")"
[[ -x "$bin" ]] || { echo "record_cpu: no binary at $bin; run cargo build --release" >&2; exit 1; }
work="$(mktemp -d -t chaosdeck-record-XXXXXX)"
trap 'rm -rf "$work"' EXIT

# CPU seconds of one pass: the child's user + system time, read with
# getrusage(RUSAGE_CHILDREN) by python around a single run.
cpu_of() {
    python3 - "$@" <<'PY'
import resource, subprocess, sys, time
start = time.monotonic()
subprocess.run(sys.argv[1:], check=True, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
wall = time.monotonic() - start
r = resource.getrusage(resource.RUSAGE_CHILDREN)
print(f"{r.ru_utime + r.ru_stime:.3f} {wall:.3f}")
PY
}

plain=0 recorded=0 wall=0
for i in $(seq "$runs"); do
    args=("$bin" --plain --auto --speed "$speed" --seed 3 --log-file /dev/null)
    read -r c w < <(cpu_of "${args[@]}" --state-dir "$work/plain-$i")
    plain="$(awk -v a="$plain" -v b="$c" 'BEGIN { print a + b }')"
    read -r c w < <(cpu_of "${args[@]}" --state-dir "$work/rec-$i" --record "$work/run-$i.ndjson")
    recorded="$(awk -v a="$recorded" -v b="$c" 'BEGIN { print a + b }')"
    wall="$(awk -v a="$wall" -v b="$w" 'BEGIN { print a + b }')"
done
bytes="$(stat -c %s "$work/run-1.ndjson")"
show_s="$(python3 -c 'import json,sys; l=[x for x in open(sys.argv[1],"rb").read().split(b"\n") if x]; print(json.loads(l[-1])["t"])' "$work/run-1.ndjson")"
awk -v p="$plain" -v r="$recorded" -v w="$wall" -v n="$runs" -v b="$bytes" -v s="$show_s" -v speed="$speed" 'BEGIN {
    printf "%d passes at --speed %s: %.3f s of CPU without --record, %.3f s with (%.3f s of wall with it)\n", n, speed, p, r, w
    printf "recording costs %.3f s of CPU per pass: %+.1f%% of the show'"'"'s own CPU, %.2f%% of one core\n", (r - p) / n, 100 * (r - p) / p, 100 * (r - p) / w
    printf "recording size: %d bytes for %.0f s of show, %.0f KiB per minute of show\n", b, s, b / 1024 / (s / 60)
}'
