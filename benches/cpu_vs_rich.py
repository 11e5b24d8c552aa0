#!/usr/bin/env python3
"""CPU, bytes to the terminal and wake-ups of chaosdeck at steady state with the
load running, side by side with the Rich Live equivalent of the original TUI.

Both programs run one after the other in a pseudo-terminal of the same size
(120x40 by default) through ptybench.py (the shared peer benchmark), each typed
the keys that bring it to its load chapter; then this prints one line per
program and the ratios. Wake-ups are the voluntary and involuntary context
switches of all of chaosdeck's threads over the measured window, read from
/proc while it runs (a thread that sleeps until its next deadline or message
switches once per wake).

usage: benches/cpu_vs_rich.py [--seconds 60] [--warmup 10] [--bench-dir DIR]
                              [--bin target/release/chaosdeck]
Needs: python3 with rich, sparklines and pyte (pip install rich sparklines pyte),
a release build (cargo build --release), and the peer benchmark's files
(rich_baseline.py and ptybench.py; --bench-dir, default ../shared/bench).
"""
import argparse
import json
import os
import subprocess
import sys
import time

ap = argparse.ArgumentParser()
ap.add_argument("--seconds", type=float, default=60)
ap.add_argument("--warmup", type=float, default=10)
ap.add_argument("--cols", type=int, default=120)
ap.add_argument("--rows", type=int, default=40)
here = os.path.dirname(os.path.abspath(__file__))
ap.add_argument("--bench-dir", default=os.path.join(here, "..", "..", "shared", "bench"))
ap.add_argument("--bin", default=os.path.join(here, "..", "target", "release", "chaosdeck"))
a = ap.parse_args()

ptybench = os.path.join(a.bench_dir, "ptybench.py")
baseline = os.path.join(a.bench_dir, "rich_baseline.py")
for path in (ptybench, baseline, a.bin):
    if not os.path.exists(path):
        sys.exit(f"cpu_vs_rich: {path} is missing (see --help)")

# Both to their load chapter: the baseline's stage 3 is "Load Generation"; on
# chaosdeck SPACE twice reaches Load, which starts the workload and keeps it
# running (the health gate and the baseline are in place within seconds).
keys = "3:space,6:space"


def child_of(pid):
    """The program ptybench started: its one child."""
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            children = f.read().split()
    except OSError:
        return None
    return children[0] if children else None


def switches_of(pid):
    """Context switches of every thread of `pid`, or None once it is gone."""
    if pid is None:
        return None
    total = 0
    try:
        for tid in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{tid}/status") as f:
                for line in f:
                    if "ctxt_switches" in line:
                        total += int(line.split()[1])
    except OSError:
        return None
    return total


def run(cmd):
    """ptybench's figures for `cmd`, plus its wake-ups per second over the
    steady window."""
    bench = subprocess.Popen(
        [sys.executable, ptybench, "--cols", str(a.cols), "--rows", str(a.rows),
         "--seconds", str(a.seconds), "--warmup", str(a.warmup), "--keys", keys, "--", *cmd],
        stdout=subprocess.PIPE, text=True,
    )
    time.sleep(a.warmup)
    program = child_of(bench.pid)
    t0, s0 = time.monotonic(), switches_of(program)
    time.sleep(max(a.seconds - a.warmup - 1, 1))
    t1, s1 = time.monotonic(), switches_of(program)
    out, _ = bench.communicate()
    if bench.returncode != 0:
        sys.exit(f"cpu_vs_rich: ptybench failed for {cmd}")
    figures = json.loads(out.strip().splitlines()[-1])
    figures["wakeups_per_s"] = (
        round((s1 - s0) / (t1 - t0), 1) if s0 is not None and s1 is not None else None
    )
    return figures


rich = run([sys.executable, baseline])
ours = run([a.bin, "--seed", "1"])
for name, f in (("rich baseline", rich), ("chaosdeck", ours)):
    print(f"{name:14} cpu {f['cpu_s']:7.3f} s ({f['cpu_pct_of_core']:5.2f}% of a core)  "
          f"bytes/s {f['bytes_per_s_steady']:7}  wake-ups/s {f['wakeups_per_s']}  rss {f['max_rss_mb']} MB")


def ratio(x, y):
    return f"{x / y:.1f}x" if y else "inf"


print(f"ratios over {a.seconds:.0f} s at {a.cols}x{a.rows}: "
      f"CPU {ratio(rich['cpu_s'], ours['cpu_s'])} less, "
      f"bytes {ratio(rich['bytes_per_s_steady'], ours['bytes_per_s_steady'])} fewer")
print(json.dumps({"rich": rich, "chaosdeck": ours}))
