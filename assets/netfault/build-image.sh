#!/usr/bin/env bash
# Builds chaosdeck's packet-loss helper image from this host's own iptables
# (nf_tables or legacy), FROM scratch: no registry is needed. The image
# holds iptables, iptables-restore, the libraries they load (found with
# ldd) and the two extensions chaosdeck's rules use (standard, statistic).
#
#   assets/netfault/build-image.sh [IMAGE]     (default chaosdeck-netfault:local)
#
# Where a registry is reachable, `docker build -t IMAGE -f Dockerfile.alpine
# assets/netfault` gives the same helper from Alpine's iptables.
set -euo pipefail
image="${1:-chaosdeck-netfault:local}"
iptables="$(command -v iptables || true)"
[ -n "$iptables" ] || { echo "build-image.sh: no iptables on this host; install it (apt-get install -y iptables)" >&2; exit 2; }
binary="$(readlink -f "$iptables")"
extensions="${XTABLES_LIBDIR:-}"
for dir in "$extensions" /usr/lib/x86_64-linux-gnu/xtables /usr/lib/aarch64-linux-gnu/xtables /usr/lib/xtables /usr/lib64/xtables; do
  if [ -n "$dir" ] && [ -e "$dir/libxt_statistic.so" ]; then extensions="$dir"; break; fi
done
[ -e "$extensions/libxt_statistic.so" ] || { echo "build-image.sh: iptables' statistic extension not found (set XTABLES_LIBDIR)" >&2; exit 2; }

context="$(mktemp -d)"
trap 'rm -rf "$context"' EXIT
root="$context/root"
mkdir -p "$root/usr/sbin" "$root$extensions" "$root/run" "$root/etc"
cp "$binary" "$root/usr/sbin/"
name="$(basename "$binary")"
for tool in iptables iptables-restore; do
  [ "$name" = "$tool" ] || ln -s "$name" "$root/usr/sbin/$tool"
done
cp "$extensions/libxt_standard.so" "$extensions/libxt_statistic.so" "$root$extensions/"
# Every library the binary and the extensions load, and the loader.
for file in "$binary" "$extensions/libxt_standard.so" "$extensions/libxt_statistic.so"; do
  ldd "$file" | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }'
done | sort -u | while read -r lib; do
  mkdir -p "$root$(dirname "$lib")"
  cp -L "$lib" "$root$lib"
done
cat > "$context/Dockerfile" <<'DOCKERFILE'
FROM scratch
COPY root/ /
ENTRYPOINT ["/usr/sbin/iptables"]
DOCKERFILE
docker build -q -t "$image" "$context" >/dev/null 2>&1 || docker build -t "$image" "$context"
echo "built $image from $binary"
