#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# meson install's last step: the example configuration becomes leakd.conf only
# where there is none (an administrator's file stays as it is), and the drop-in
# directory leakd.conf.d/ is made.  Arguments: the example, the configuration
# directory, and where the example is kept for reference.
set -eu
example=$1
dir=${DESTDIR:-}$2
mkdir -p "$dir/leakd.conf.d"
if [ -e "$dir/leakd.conf" ]; then
	echo "leakd: $2/leakd.conf kept as it is (the example: $3)"
else
	cp "$example" "$dir/leakd.conf"
	chmod 0644 "$dir/leakd.conf"
fi
