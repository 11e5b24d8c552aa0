#!/usr/bin/env python3
"""Key press to drawn frame, measured on the release binary in tmux at 120x40.

Each press of `p` toggles PAUSED in the header. For every press two times are
taken from the moment the key is handed to tmux:

  output: until tmux receives, from chaosdeck's terminal, the frame that shows
          the change (seen through a tmux control-mode client's %output
          notifications). This is chaosdeck's latency plus tmux passing the key
          in and the bytes out.
  pane:   until `tmux capture-pane` shows the changed header. This adds tmux
          parsing the frame and the cost of one capture (a process spawn,
          printed below), so it is an upper bound.

Presses are spaced 150-350 ms apart (seeded) so they do not lock onto the
app's 100 ms tick or its once-a-second redraw.

Usage: benches/key_latency.py [--presses N] [--bin PATH]
Needs tmux and a built binary (`cargo build --release`).
"""

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time

WIDTH, HEIGHT = 120, 40
SYNC_MARKERS = ("\\033[?2026h", "\\033[?2026l")


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))]


def summary(name, seconds):
    ms = [s * 1000 for s in seconds]
    return (
        f"{name:>6}: median {statistics.median(ms):6.2f} ms  p95 {percentile(ms, 0.95):6.2f} ms"
        f"  max {max(ms):6.2f} ms  over 16 ms: {sum(m > 16 for m in ms)}/{len(ms)}"
    )


class Tmux:
    def __init__(self, socket):
        self.base = ["tmux", "-L", socket, "-f", "/dev/null"]

    def run(self, *args):
        return subprocess.run(
            self.base + list(args), capture_output=True, text=True, check=True
        ).stdout

    def header(self, target):
        return self.run("capture-pane", "-p", "-t", target).split("\n", 1)[0]


class ControlClient:
    """A tmux control-mode client: sends commands, timestamps the pane's output."""

    def __init__(self, tmux, session):
        self.proc = subprocess.Popen(
            tmux.base + ["-C", "attach", "-t", session],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            bufsize=1,
        )
        self.outputs = []  # (perf_counter, escaped data)
        self.lock = threading.Lock()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.proc.stdout:
            now = time.perf_counter()
            if line.startswith("%output "):
                data = line.rstrip("\n").split(" ", 2)[2]
                with self.lock:
                    self.outputs.append((now, data))

    def send(self, command):
        self.proc.stdin.write(command + "\n")
        self.proc.stdin.flush()

    def last_output_before(self, start):
        with self.lock:
            return next((t for t, _ in reversed(self.outputs) if t < start), None)

    def first_output_after(self, start, matches):
        with self.lock:
            return next((t for t, d in self.outputs if t >= start and matches(d)), None)

    def close(self):
        try:
            self.proc.stdin.close()
        except OSError:
            pass
        self.proc.terminate()


def shows_pause(paused):
    if paused:
        return lambda data: "PAUSED" in data

    def redraws_something(data):
        for marker in SYNC_MARKERS:
            data = data.replace(marker, "")
        return data != ""

    return redraws_something


def wait_for(condition, timeout, what):
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        if condition():
            return time.perf_counter()
        time.sleep(0.0005)
    sys.exit(f"key_latency: timed out waiting for {what}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--presses", type=int, default=60)
    parser.add_argument("--bin", default="target/release/chaosdeck")
    args = parser.parse_args()
    if args.presses < 2:
        sys.exit("key_latency: --presses must be at least 2")
    binary = os.path.abspath(args.bin)
    if not os.access(binary, os.X_OK):
        sys.exit(f"key_latency: no binary at {binary}; run `cargo build --release`")

    tmux = Tmux(f"chaosdeck-keys-{os.getpid()}")
    session = "keys"
    log = tempfile.NamedTemporaryFile(prefix="chaosdeck-keys-", suffix=".log", delete=False)
    tmux.run(
        "new-session", "-d", "-s", session, "-x", str(WIDTH), "-y", str(HEIGHT),
        f"{binary} --seed 1 --log-file {log.name}",
    )
    client = None
    try:
        wait_for(lambda: "[1/" in tmux.header(session), 15, "the first frame")
        client = ControlClient(tmux, session)
        time.sleep(1.0)
        size = tmux.run("display-message", "-p", "-t", session, "#{pane_width}x#{pane_height}")
        if size.strip() != f"{WIDTH}x{HEIGHT}":
            sys.exit(f"key_latency: the pane is {size.strip()}, not {WIDTH}x{HEIGHT}")

        capture_cost = []
        for _ in range(20):
            t = time.perf_counter()
            tmux.header(session)
            capture_cost.append(time.perf_counter() - t)

        rng = random.Random(1)
        output_times, pane_times = [], []
        slow_after_frame = []  # ms since the previous frame, for presses over 16 ms
        for i in range(args.presses):
            paused = i % 2 == 0
            start = time.perf_counter()
            client.send(f"send-keys -t {session} p")
            shown = wait_for(
                lambda: ("PAUSED" in tmux.header(session)) == paused, 5, f"press {i + 1}"
            )
            pane_times.append(shown - start)
            time.sleep(0.05)  # the control client's notification may trail the capture
            seen = client.first_output_after(start, shows_pause(paused))
            if seen is None:
                sys.exit(f"key_latency: no output seen for press {i + 1}")
            output_times.append(seen - start)
            previous = client.last_output_before(start)
            if seen - start > 0.016 and previous is not None:
                slow_after_frame.append((start - previous) * 1000)
            time.sleep(rng.uniform(0.15, 0.35))

        print(f"key press to drawn frame, chaosdeck at {WIDTH}x{HEIGHT} in tmux, `p` x {args.presses}")
        print(summary("output", output_times))
        print(summary("pane", pane_times))
        if slow_after_frame:
            gaps = ", ".join(f"{g:.0f}" for g in slow_after_frame)
            print(f"presses over 16 ms came this many ms after the previous frame: {gaps}")
        print(f"(one capture-pane costs median {statistics.median(capture_cost) * 1000:.2f} ms)")
    finally:
        if client:
            client.close()
        subprocess.run(tmux.base + ["kill-server"], capture_output=True)
        os.unlink(log.name)


if __name__ == "__main__":
    main()
