#!/usr/bin/env bash
# CPU used by chaosdeck while nothing changes on screen: the release binary in
# tmux at 120x40 on the first chapter (cluster healthy, no load, no timers),
# sampled from /proc over 30 s after a 5 s settle. Prints % of one core.
# Usage: benches/idle_cpu.sh [seconds]     (needs tmux; builds the release binary)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-30}"
cargo build --release --quiet
log="$(mktemp -t chaosdeck-idle-XXXX.log)"
session="chaosdeck-idle-$$"
tmux new-session -d -s "$session" -x 120 -y 40 "target/release/chaosdeck --seed 1 --log-file $log"
trap 'tmux kill-session -t "$session" 2>/dev/null; rm -f "$log"' EXIT
sleep 5
pid="$(pgrep -f -- "--log-file $log" | head -1)"
ticks() { awk '{print $14 + $15}' "/proc/$pid/stat"; }
hz="$(getconf CLK_TCK)"
before="$(ticks)"
sleep "$seconds"
after="$(ticks)"
awk -v a="$after" -v b="$before" -v hz="$hz" -v s="$seconds" \
    'BEGIN { printf "idle CPU: %.2f%% of one core over %ds (%d ticks of 1/%ds)\n", (a - b) / hz / s * 100, s, a - b, hz }'
