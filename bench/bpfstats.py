# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
"""kernel.bpf_stats_enabled for the length of a benchmark, then as it was: with it
on, every BPF program run also reads the clock twice (≈ 30 ns here), which
progtime.py needs and the wall-clock benchmarks must not pay (it would add the
same to the floor and to leakd, and flatter their ratio)."""

import contextlib

PATH = "/proc/sys/kernel/bpf_stats_enabled"


@contextlib.contextmanager
def bpf_stats(enabled):
    with open(PATH) as f:
        before = f.read().strip()
    with open(PATH, "w") as f:
        f.write("1" if enabled else "0")
    try:
        yield
    finally:
        with open(PATH, "w") as f:
            f.write(before)
