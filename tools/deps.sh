#!/bin/sh
# Install the Debian packages a target needs, only those that are missing.
# usage: deps.sh build|test|bench|asan|deb
set -e

case "$1" in
build) pkgs="nginx nginx-dev libjansson-dev libssl-dev gcc make python3" ;;
test)  pkgs="nginx nginx-dev libjansson-dev libssl-dev gcc make perl wrk valgrind
             procps binutils
             python3 openssl curl nodejs npm redis-server faketime prometheus" ;;
bench) pkgs="wrk valgrind redis-server g++ libsimdjson-dev" ;;
asan)  pkgs="clang libclang-rt-14-dev" ;;
deb)   pkgs="dpkg-dev debhelper nginx-dev libjansson-dev libssl-dev lintian" ;;
*)     echo "usage: $0 build|test|bench|asan|deb" >&2; exit 2 ;;
esac

missing=""
for p in $pkgs; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null \
         | grep -q "install ok installed"
    then
        missing="$missing $p"
    fi
done

# node and npm may come from another distribution of Node.js
case "$missing" in
*nodejs*|*npm*)
    if command -v node >/dev/null && command -v npm >/dev/null; then
        missing=$(echo "$missing" | sed 's/ nodejs//; s/ npm//')
    fi ;;
esac

[ -z "$missing" ] && exit 0

echo "installing:$missing"
if [ "$(id -u)" != 0 ]; then
    echo "$0: need root to install:$missing" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
# never let a package start a system nginx on port 80 behind our back
norc=""
if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
    chmod +x /usr/sbin/policy-rc.d
    norc=1
fi
apt-get update -qq
apt-get install -y -qq --no-install-recommends $missing >/dev/null
[ -n "$norc" ] && rm -f /usr/sbin/policy-rc.d
exit 0
