#!/usr/bin/env bash
# CPU used by chaosdeck while nothing changes on screen: the release binary in
# tmux at 120x40 on the first chapter (cluster healthy, no load, no timers).
# After a settle, utime+stime of the process (all its threads) are read from
# /proc/<pid>/stat over the window. Prints % of one core, plus wakeups
# (context switches of all threads) and write calls per second, which say
# where idle time goes.
# Usage: benches/idle_cpu.sh [seconds] [settle-seconds]   (default 30 and 5)
# Needs tmux and a built binary (`cargo build --release`); CHAOSDECK_BIN
# overrides target/release/chaosdeck.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-30}"
settle="${2:-5}"
bin="$(realpath "${CHAOSDECK_BIN:-target/release/chaosdeck}")"
[[ -x "$bin" ]] || { echo "idle_cpu: no binary at $bin; run cargo build --release" >&2; exit 1; }

log="$(mktemp -t chaosdeck-idle-XXXXXX.log)"
tmux=(tmux -L "chaosdeck-idle-$$" -f /dev/null)
trap '"${tmux[@]}" kill-server 2>/dev/null || true; rm -f "$log"' EXIT
"${tmux[@]}" new-session -d -s idle -x 120 -y 40 "$bin --seed 1 --log-file $log"

sleep "$settle"
# Anchored on the binary: the tmux server's own command line holds the same words.
pid="$(pgrep -f -- "^$bin .*--log-file $log" | head -1 || true)"
[[ -n "$pid" ]] || { echo "idle_cpu: chaosdeck is not running" >&2; exit 1; }
"${tmux[@]}" capture-pane -p -t idle | head -1 | grep -q '\[1/' \
    || { echo "idle_cpu: not on the first chapter" >&2; exit 1; }

ticks() { awk '{ print $14 + $15 }' "/proc/$pid/stat"; }
switches() { cat /proc/"$pid"/task/*/status | awk '/ctxt_switches/ { n += $2 } END { print n }'; }
writes() { awk '/^syscw/ { print $2 }' "/proc/$pid/io"; }
hz="$(getconf CLK_TCK)"
t0="$(ticks)" s0="$(switches)" w0="$(writes)"
sleep "$seconds"
t1="$(ticks)" s1="$(switches)" w1="$(writes)"

awk -v t="$((t1 - t0))" -v s="$((s1 - s0))" -v w="$((w1 - w0))" -v hz="$hz" -v n="$seconds" \
    -v cores="$(nproc)" 'BEGIN {
    printf "idle CPU: %.2f%% of one core over %d s (%d ticks of 1/%d s; %d cores)\n",
        t / hz / n * 100, n, t, hz, cores
    printf "wakeups: %.1f/s (context switches, all threads); write calls: %.1f/s\n", s / n, w / n
}'
