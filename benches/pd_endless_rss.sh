#!/usr/bin/env bash
# Resident memory of a show whose PD answers every path with an endless
# chunked body (each request stops at the body limit, 8 MiB), against the same
# show with no PD answering at all. Plain mode, --cluster docker with a
# Compose project that does not exist (only PD is asked), RSS sampled from
# /proc every 5 s. Prints both series and their maxima.
# Usage: benches/pd_endless_rss.sh [seconds]   (default 60)
# Needs python3 and a built binary (`cargo build --release`); CHAOSDECK_BIN
# overrides target/release/chaosdeck.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-60}"
bin="$(realpath "${CHAOSDECK_BIN:-target/release/chaosdeck}")"
[[ -x "$bin" ]] || { echo "pd_endless_rss: no binary at $bin; run cargo build --release" >&2; exit 1; }
work="$(mktemp -d -t chaosdeck-rss-XXXXXX)"
server=""
trap '[[ -n "$server" ]] && kill "$server" 2>/dev/null; rm -rf "$work"' EXIT

cat > "$work/endless.py" <<'PY'
import http.server, socketserver, sys
class Endless(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *args): pass
    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        chunk = b"[" + b"0," * 32767
        try:
            while True:
                self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        except OSError:
            pass
class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
Server(("127.0.0.1", int(sys.argv[1])), Endless).serve_forever()
PY

# One run against `pd`; prints "label: rss rss ... (max N MB)".
sample() {
    local label="$1" pd="$2" dir="$work/$1"
    mkdir -p "$dir"
    "$bin" --plain --auto --cluster docker --pd "$pd" --compose-project chaosdeck-rss-none \
        --state-dir "$dir" --log-file "$dir/log" >"$dir/out" 2>&1 &
    local pid=$! series=() max=0
    for ((t = 5; t <= seconds; t += 5)); do
        sleep 5
        local kb
        kb="$(awk '/^VmRSS/ { print $2 }' "/proc/$pid/status" 2>/dev/null || echo 0)"
        series+=("$((kb / 1024))")
        ((kb > max)) && max=$kb
    done
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    echo "$label: RSS MB every 5 s: ${series[*]} (max $((max / 1024)) MB)"
}

port=18379
python3 "$work/endless.py" "$port" &
server=$!
sleep 1
sample "endless PD bodies" "http://127.0.0.1:$port"
kill "$server"; server=""
sample "no PD answering" "http://127.0.0.1:$((port + 1))"
