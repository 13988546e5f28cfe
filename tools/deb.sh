#!/bin/sh
# make deb: the Debian package libnginx-mod-http-freshdesk, built the
# Debian way (dpkg-buildpackage with dh-sequence-nginx from nginx-dev)
# from a copy of the working tree in OUTDIR/src; the .deb lands in OUTDIR.
# usage: tools/deb.sh OUTDIR
set -eu

ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=$1
VERSION=$(sed -n '1s/.*(\(.*\)).*/\1/p' "$ROOT/debian/changelog")
SRC=$OUT/src/libnginx-mod-http-freshdesk-$VERSION

rm -rf "$OUT"
mkdir -p "$SRC"

# the sources, without build outputs or test tooling downloads
(cd "$ROOT" && tar -cf - --exclude='./build' --exclude='./build-*' \
    --exclude='./.git' --exclude='./t/js/node_modules' .) \
    | (cd "$SRC" && tar -xf -)

(cd "$SRC" && dpkg-buildpackage -us -uc -b) > "$OUT/build.log" 2>&1 || {
    tail -40 "$OUT/build.log"
    exit 1
}

mv "$OUT"/src/*.deb "$OUT"/src/*.buildinfo "$OUT"/src/*.changes "$OUT"/
ls "$OUT"/*.deb
