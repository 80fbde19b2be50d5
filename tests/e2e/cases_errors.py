# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
"""Bad input: one clear line, a documented exit status, nothing left attached."""

import subprocess

from harness import LEAKD, BpfWatch, check, check_eq, leaker, need_private_mounts, spawn

# leakd(8), EXIT STATUS
EXIT_USAGE, EXIT_NO_PRIVILEGE, EXIT_NO_KERNEL_FEATURE = 2, 3, 4
EXIT_NO_TARGET, EXIT_NO_ALLOCATOR, EXIT_COMMAND_FAILED = 5, 6, 7


def run_leakd(args, prefix=(), timeout=60):
    return run_checked([*prefix, LEAKD, *args], timeout)


def run_checked(argv, timeout=60):
    """Runs argv to its end; the result carries a watch on the BPF objects made
    meanwhile, for check_error."""
    bpf = BpfWatch()
    p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                       timeout=timeout)
    p.bpf = bpf
    return p


def check_error(p, status, words):
    check_eq(p.returncode, status, f"exit status (stderr: {p.stderr!r})")
    lines = p.stderr.strip().splitlines()
    check_eq(len(lines), 1, f"error lines: {lines!r}")
    check(lines[0].startswith("leakd: "), f"error line {lines[0]!r}")
    for w in words:
        check(w in lines[0], f"{w!r} not in {lines[0]!r}")
    p.bpf.check_released()      # nothing of this leakd's left attached


def case_bad_arguments():
    for args, words in ((["--top", "abc"], ["--top"]),
                        (["--pid", "0"], ["pid"]),
                        (["--pid", "12x"], ["pid"]),
                        (["--interval", "5 parsecs"], ["interval"]),
                        (["--ringbuf-size", "1000"], ["ringbuf"]),
                        (["--max-depth", "500"], ["max-depth"]),
                        (["--bogus"], ["--bogus"]),
                        (["--pid", "1", "--", "true"], ["exclude"]),
                        (["stray"], ["stray"]),
                        (["--"], ["command"])):
        check_error(run_leakd(args), EXIT_USAGE, words)


def case_no_such_pid():
    check_error(run_leakd(["--pid", "2147483000"]), EXIT_NO_TARGET, ["no process"])


def case_kernel_thread():
    check_error(run_leakd(["--pid", "2"]), EXIT_NO_TARGET, ["kernel thread"])


def case_no_allocator():
    p = spawn([leaker("no_allocator")])
    try:
        check_error(run_leakd(["--pid", str(p.pid)]), EXIT_NO_ALLOCATOR, ["no allocator"])
    finally:
        p.kill()
        p.wait()
    check_error(run_leakd(["--duration", "30s", "--", leaker("no_allocator")]),
                EXIT_NO_ALLOCATOR, ["no allocator"])


def case_command_not_found():
    check_error(run_leakd(["--", "/nonexistent/command"]), EXIT_COMMAND_FAILED,
                ["/nonexistent/command", "No such file"])


def case_not_root():
    check_error(run_leakd(["--pid", "1"], prefix=["setpriv", "--reuid=65534", "--regid=65534",
                                                 "--clear-groups", "--inh-caps=-all"]),
                EXIT_NO_PRIVILEGE, ["root"])


def case_no_btf():
    # A private mount namespace where /sys/kernel/btf is an empty directory.
    need_private_mounts()
    shell = f"mount -t tmpfs none /sys/kernel/btf && exec {LEAKD} --pid 1"
    p = run_checked(["unshare", "-m", "--propagation", "private", "sh", "-c", shell])
    check_error(p, EXIT_NO_KERNEL_FEATURE, ["BTF"])


def case_no_uprobes():
    # A private mount namespace where the uprobe event source is gone from sysfs.
    need_private_mounts()
    shell = (f"mount -t tmpfs none /sys/bus/event_source/devices/uprobe && "
             f"exec {LEAKD} --pid 1")
    p = run_checked(["unshare", "-m", "--propagation", "private", "sh", "-c", shell])
    check_error(p, EXIT_NO_KERNEL_FEATURE, ["uprobes"])
