#!/usr/bin/env bash
# Key press to drawn frame: the release binary in tmux at 120x40; `p` toggles
# PAUSED in the header. For each press, the time from `tmux send-keys` until
# `tmux capture-pane` shows the change (tmux's own latency and the polling,
# about 1 ms, are included, so the figure is an upper bound).
# Usage: benches/key_latency.sh [presses]  (needs tmux; builds the release binary)
set -euo pipefail
cd "$(dirname "$0")/.."
presses="${1:-40}"
cargo build --release --quiet
log="$(mktemp -t chaosdeck-keys-XXXX.log)"
session="chaosdeck-keys-$$"
tmux new-session -d -s "$session" -x 120 -y 40 "target/release/chaosdeck --seed 1 --log-file $log"
trap 'tmux kill-session -t "$session" 2>/dev/null; rm -f "$log"' EXIT
sleep 3
samples=()
for ((i = 0; i < presses; i++)); do
    if (( i % 2 == 0 )); then want=1; else want=0; fi
    start="$(date +%s%N)"
    tmux send-keys -t "$session" p
    while true; do
        shown="$(tmux capture-pane -p -t "$session" | head -1 | grep -c PAUSED || true)"
        [[ "$shown" == "$want" ]] && break
    done
    end="$(date +%s%N)"
    samples+=("$(( (end - start) / 1000 ))")
    sleep 0.2
done
printf '%s\n' "${samples[@]}" | sort -n | awk '
    { v[NR] = $1 }
    END { printf "key press to drawn frame over %d presses: median %.1f ms, p95 %.1f ms, max %.1f ms\n",
          NR, v[int(NR / 2) + 1] / 1000, v[int(NR * 0.95)] / 1000, v[NR] / 1000 }'
