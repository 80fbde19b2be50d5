#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# meson install, twice, into a scratch directory: the first installs the example
# configuration and the drop-in directory; the second keeps the configuration an
# administrator changed.  Arguments: meson, the build directory, the configuration
# directory, the example.
set -euo pipefail
meson=$1 build=$2 confdir=$3 example=$4
d=$(mktemp -d)
trap 'rm -rf "$d"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

"$meson" install -C "$build" --no-rebuild --quiet --destdir "$d" >/dev/null
conf=$d$confdir/leakd.conf
[ -f "$conf" ] || fail "no $confdir/leakd.conf installed"
cmp -s "$conf" "$example" || fail "the installed leakd.conf is not the example"
[ -d "$d$confdir/leakd.conf.d" ] || fail "no $confdir/leakd.conf.d/"
echo "max-traced = 3   # the administrator's" >>"$conf"
cp "$conf" "$d/mine"
out=$("$meson" install -C "$build" --no-rebuild --destdir "$d" 2>&1)
cmp -s "$conf" "$d/mine" || fail "installing again overwrote $confdir/leakd.conf"
grep -q "leakd.conf kept as it is" <<<"$out" || fail "installing again said nothing of the kept file"
find "$d" -name leakd.conf.example | grep -q . || fail "no example kept for reference"
echo "ok: $confdir/leakd.conf installed once, then kept"
