#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
"""Writes the seed corpora of the fuzzers into corpus/NAME/ (committed; run again
after a format changes): valid inputs of each kind and a few near misses.  The ELF
seeds are built from seeds/elf_seed.c with the C compiler ($CC, default cc)."""

import os
import struct
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(HERE, "corpus")


def put(name, seed, data):
    d = os.path.join(CORPUS, name)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, seed), "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())


# include/leakd/protocol.h
MAGIC, VERSION = 0x4c4b4431, 2
FORMAT_TEXT, FORMAT_JSON, FORMAT_PPROF, FORMAT_FOLDED, FORMAT_SVG = range(5)


def req(command, payload=b"", fmt=FORMAT_JSON, flags=0, magic=MAGIC, version=VERSION,
        length=None):
    n = len(payload) if length is None else length
    return struct.pack("=IHHIHH", magic, version, command, n, fmt, flags) + payload


def selector(pid=0, comm=b"", unit=b"", cgroup=b""):
    return struct.pack("=II16s256s256s", pid, 0, comm, unit, cgroup)


def top(sel, limit=0, level=0, min_age=0, since=0, window=0, by=0, flags=0):
    return sel + struct.pack("=IIQQQII", limit, level, min_age, since, window, by, flags)


TRACE_DEFAULT, TRACE_SAMPLED, TRACE_EXACT = range(3)
TRACE_INJECT = 1                # trace_flags


def trace(sel, duration=0, mode=TRACE_DEFAULT, sample=0, flags=0):
    return sel + struct.pack("=QIIQ", duration, mode, flags, sample)


def proto():
    put("proto", "status", req(1))
    put("proto", "ps", req(2, struct.pack("=II", 10, 0)))
    put("proto", "top_pid", req(3, top(selector(pid=4242), limit=5, level=1)))
    put("proto", "top_unit", req(3, top(selector(unit=b"nginx.service"), level=2,
                                        min_age=10 ** 9)))
    put("proto", "top_growth", req(3, top(selector(cgroup=b"/system.slice"), by=1, flags=1,
                                          since=10 ** 9, window=60 * 10 ** 9)))
    put("proto", "top_pprof", req(3, top(selector(comm=b"leak_ctl"), level=1),
                                  fmt=FORMAT_PPROF, flags=1))
    put("proto", "trace_comm", req(4, trace(selector(comm=b"redis-server"), 600 * 10 ** 9)))
    put("proto", "trace_comm_exact", req(4, trace(selector(comm=b"nginx"), mode=TRACE_EXACT)))
    put("proto", "trace_unit_sampled", req(4, trace(selector(unit=b"nginx.service"),
                                                    mode=TRACE_SAMPLED, sample=65536)))
    put("proto", "trace_pid_sampled", req(4, trace(selector(pid=4242), mode=TRACE_SAMPLED,
                                                   sample=16)))
    put("proto", "untrace_pid", req(5, trace(selector(pid=1))))
    put("proto", "untrace_mode", req(5, trace(selector(comm=b"nginx"), mode=TRACE_EXACT)))
    put("proto", "trace_old_layout", req(4, selector(comm=b"x") + struct.pack("=Q", 0)))
    # trace 4242 --inject --sample 1: SAMPLED, LEAKD_TRACE_INJECT
    put("proto", "trace_inject", req(4, trace(selector(pid=4242), mode=TRACE_SAMPLED, sample=1,
                                              flags=TRACE_INJECT)))
    put("proto", "exited", req(6, struct.pack("=II", 0, 0), fmt=FORMAT_TEXT))
    put("proto", "snapshot_save", req(7, struct.pack("=II64s", 1, 1, b"before") +
                                      selector(pid=4242)))
    put("proto", "diff", req(8, struct.pack("=64s64s", b"before", b"now") + selector() +
                             struct.pack("=II", 1, 0)))
    put("proto", "bad_magic", req(1, magic=0xdeadbeef))
    put("proto", "too_large", req(2, length=1 << 20))
    put("proto", "two_selectors", req(4, trace(selector(pid=7, comm=b"x"))))


# include/leakd/events.h
EV_ALLOC, EV_FREE, EV_REALLOC_BEGIN, EV_STACK, EV_EXEC, EV_EXIT, EV_MAP_EXEC, EV_MMAP, \
    EV_MUNMAP, EV_MREMAP_BEGIN, EV_MREMAP_END, EV_BRK, EV_FORK, EV_PROTECT, EV_DISCARD, \
    EV_BRK_MOVE = range(1, 17)
MAP_RESERVED, MAP_NORESERVE = 1 << 1, 1 << 3


def hdr(t, pid=0, tid=1, aux=0, ts=1000):
    return struct.pack("=IIIIQ", t, pid, tid, aux, ts)


def rec(data):
    return struct.pack("<H", len(data)) + data


def alloc(addr, size, stack, pid=0, old=0, fn=1, weight=0):
    return rec(hdr(EV_ALLOC, pid, aux=fn) + struct.pack("=QQQQQ", addr, size, stack, old,
                                                        weight))


def stack(stack_id, pcs, pid=0, flags=0):
    frames = b"".join(struct.pack("=QQQQ", pc, 0, 0, 0) for pc in pcs)
    return rec(hdr(EV_STACK, pid, aux=len(pcs)) + struct.pack("=QII", stack_id, flags, 0) +
               frames)


def events():
    put("events", "alloc_free",
        stack(11, [0x401000, 0x401100]) + alloc(0x1000, 64, 11) + alloc(0x2000, 32, 11) +
        rec(hdr(EV_FREE) + struct.pack("=Q", 0x1000)))
    put("events", "realloc",
        alloc(0x1000, 64, 13) + rec(hdr(EV_REALLOC_BEGIN) + struct.pack("=Q", 0x1000)) +
        alloc(0x3000, 128, 13, old=0x1000, fn=3) + alloc(0x5000, 8, 13, old=0x9999, fn=3))
    put("events", "maps",
        rec(hdr(EV_MMAP, 1) + struct.pack("=QQQ", 0x7f0000000000, 1 << 20, 15)) +
        rec(hdr(EV_MUNMAP, 1) + struct.pack("=QQ", 0x7f0000010000, 0x10000)) +
        rec(hdr(EV_MREMAP_BEGIN, 1) + struct.pack("=QQ", 0x7f0000000000, 0x10000)) +
        rec(hdr(EV_MREMAP_END, 1) + struct.pack("=QQQQ", 0x7f0000000000, 0x10000,
                                                0x7f1000000000, 0x20000)) +
        rec(hdr(EV_BRK, 1) + struct.pack("=QQ", 0x555555000000, 0x21000)))
    put("events", "lifecycle",
        rec(hdr(EV_FORK, 2, aux=1)) + alloc(0x10, 16, 17, pid=2) + rec(hdr(EV_EXEC, 2)) +
        rec(hdr(EV_MAP_EXEC, 2)) + alloc(0x20, 16, 17, pid=2) + rec(hdr(EV_EXIT, 2)) +
        alloc(0x30, 16, 17, pid=2))
    # Held by the kernel (aux bit 31): a fork's parent with the mark, exec and code
    # mapping of a process known or not.
    put("events", "held",
        rec(hdr(EV_FORK, 3, aux=1 | 1 << 31)) + rec(hdr(EV_EXEC, 3, aux=1 << 31)) +
        rec(hdr(EV_MAP_EXEC, 3, aux=1 << 31)) + rec(hdr(EV_EXEC, 9, aux=1 << 31)) +
        alloc(0x40, 16, 17, pid=3))
    put("events", "commit",
        rec(hdr(EV_MMAP, 1, aux=MAP_RESERVED) + struct.pack("=QQQ", 0x7f2000000000, 1 << 20, 19)) +
        rec(hdr(EV_PROTECT, 1) + struct.pack("=QQQ", 0x7f2000000000, 0x4000, 21)) +
        rec(hdr(EV_PROTECT, 1) + struct.pack("=QQQ", 0x7f2000010000, 0x8000, 21)) +
        rec(hdr(EV_PROTECT, 1, aux=MAP_RESERVED) + struct.pack("=QQQ", 0x7f2000002000,
                                                               0x1000, 0)) +
        rec(hdr(EV_DISCARD, 1, aux=4) + struct.pack("=QQ", 0x7f2000010000, 0x4000)) +
        rec(hdr(EV_MMAP, 1, aux=MAP_RESERVED | MAP_NORESERVE) +
            struct.pack("=QQQ", 0x7f3000000000, 1 << 30, 23)))
    put("events", "brk_move",
        rec(hdr(EV_BRK, 1) + struct.pack("=QQ", 0x555555000000, 0x21000)) +
        rec(hdr(EV_BRK_MOVE, 1) + struct.pack("=QQQQ", 0x555555000000, 0x555555021000,
                                                0x555555063000, 25)) +
        rec(hdr(EV_BRK_MOVE, 1) + struct.pack("=QQQQ", 0x555555000000, 0x555555063000,
                                                0x555555042000, 0)) +
        rec(hdr(EV_BRK_MOVE, 1) + struct.pack("=QQQQ", 0x555555000000, 0x555555042000,
                                                0x555555000fff, 0)))
    put("events", "short", rec(hdr(EV_ALLOC)[:20]) + rec(hdr(EV_STACK, aux=200)) +
        rec(hdr(99)))


def procmaps():
    put("procmaps", "program", """\
55d5c0a00000-55d5c0a02000 r--p 00000000 08:01 1311234                    /usr/bin/cat
55d5c0a02000-55d5c0a07000 r-xp 00002000 08:01 1311234                    /usr/bin/cat
55d5c0a0b000-55d5c0a2c000 rw-p 00000000 00:00 0                          [heap]
7f3a1c000000-7f3a1c021000 rw-p 00000000 00:00 0 
7f3a1c028000-7f3a1c1bd000 r-xp 00028000 08:01 1316571                    /usr/lib/x86_64-linux-gnu/libc.so.6
7f3a1c200000-7f3a1c201000 rw-s 00000000 00:05 4242                       /dev/zero (deleted)
7ffd4e5a1000-7ffd4e5c2000 rw-p 00000000 00:00 0                          [stack]
ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0                  [vsyscall]
""")
    put("procmaps", "spaces", "7f0000000000-7f0000001000 r-xp 00000000 fd:00 12 "
        "          /tmp/a file with spaces\n")
    put("procmaps", "bad", "zzzz-7f00 r-xp 0 0:0 0\n")


def perfmap():
    put("perfmap", "node", "\x00" + """\
3c2a4e843a0 8c LazyCompile:~leakyFunction /tmp/leak_node.js:3
3c2a4e84440 1a0 Builtin:ArgumentsAdaptorTrampoline
3c2a4e84440 40 Function:~overlapping
7f0000001000 0 empty
garbage line
""")
    put("perfmap", "partial", "\x05" + "1000 10 first\n2000 20 sec")


def config():
    src = os.path.join(HERE, "..", "..", "systemd", "leakd.conf")
    with open(src) as f:
        put("config", "installed", f.read())
    put("config", "daemon", """\
sample-interval = 200ms
growth-window = 60s
drilldown-bytes = 24M   # comment
drilldown-window = 3s
drilldown-max = 1
socket-group = nogroup
socket = /tmp/x.sock
trace-all
""")
    put("config", "bad", "unknown-setting = 1\nmax-depth = 500\n")


def elf():
    cc = os.environ.get("CC", "cc")
    src = os.path.join(HERE, "seeds", "elf_seed.c")
    variants = {
        "eh_frame": ["-O2", "-fomit-frame-pointer"],
        "frame_pointers": ["-O1", "-fno-omit-frame-pointer"],
        "debug_frame": ["-O2", "-g1", "-fno-asynchronous-unwind-tables", "-fno-unwind-tables"],
    }
    with tempfile.TemporaryDirectory() as tmp:
        for name, flags in variants.items():
            out = os.path.join(tmp, name)
            subprocess.run([cc, *flags, "-nostdlib", "-static", "-Wl,-e,main",
                            "-Wl,--build-id=sha1", "-Wl,-z,noseparate-code",
                            "-Wl,-z,max-page-size=0x1000", "-o", out, src], check=True)
            with open(out, "rb") as f:
                put("elf", name, f.read())


# src/serve/handover.c: the payload after the header (the harness makes the header;
# a first byte 0 says so, 1 that the rest is a whole file).
def wstr(s):
    b = s.encode()
    return struct.pack("=I", len(b)) + b


def cred(uid=0):
    return struct.pack("=6IBB", uid, uid, uid, uid, uid, uid, 1, 1)


def est(*v):
    return struct.pack("=4d", *(v or (0, 0, 0, 0)))


def proc_mem(pid, allocs, stacks, maps=(), parked=(), sampled=()):
    live = [a for a in allocs] + [p[3] for p in parked if p[2]]
    out = struct.pack("=QQ16sQ", pid, 12345, b"leaker", 0)
    out += struct.pack("=QQQQQ", sum(a[1] for a in live), len(live), len(live), 0, 0)
    out += est() + est() + struct.pack("=QQ", 0, 0)
    out += struct.pack("=6Q", sum(m[1] - m[0] for m in maps), len(maps), 0, 0, 0, 0)
    out += struct.pack("=3Q", 0, 0, 0) + struct.pack("=6Q", 0, 0, 0, 0, 0, 0)
    out += struct.pack("=I", len(stacks))
    for sid, frames, has_est in stacks:
        out += struct.pack("=QII", sid, (1 << 16) if frames else 0, len(frames))
        for pc, off, mod, jit in frames:
            out += struct.pack("=QQIII", pc, off, mod, 0, jit)
        out += struct.pack("=18Q", *range(18)) + struct.pack("=QQI", 1, 2, 0)
        out += struct.pack("=B", 1 if has_est else 0)
        if has_est:
            out += est(1, 2, 3, 4) + est(5, 6, 7, 8) + struct.pack("=Q", 1)
    out += struct.pack("=I", len(allocs))
    for addr, size, stk in allocs:
        out += struct.pack("=QQQII", addr, size, 7, stk, 1)
    out += struct.pack("=I", len(sampled))
    for addr, size, weight, stk in sampled:
        out += struct.pack("=QQQQII", addr, size, weight, 8, stk, 1)
    out += struct.pack("=I", len(parked))
    for tid, addr, known, a in parked:
        out += struct.pack("=QQB", tid, addr, known)
        out += struct.pack("=QQQII", a[0], a[1], 9, a[2], 3)
    out += struct.pack("=I", 0)        # cached blocks
    out += struct.pack("=I", len(maps))
    for start, end, stk in maps:
        out += struct.pack("=QQQII", start, end, 10, stk, 0)
    return out


def handover_payload(procs=(), rules=(), exits=(), modules=(), jits=()):
    out = struct.pack("=QQ", 0, len(exits))
    out += struct.pack("=I", len(modules))
    for dev, ino, path in modules:
        out += struct.pack("=QQ", dev, ino) + wstr(path)
    out += struct.pack("=I", len(jits)) + b"".join(wstr(j) for j in jits)
    out += struct.pack("=I", len(procs))
    for pid, objs, mem in procs:
        out += struct.pack("=I", 0) + cred() + wstr("/user.slice")
        out += struct.pack("=IQQIQBB", 1, 0, 0, 1, 0, 1, 0)
        out += struct.pack("=I", len(objs))
        for dev, ino, path, sites, links in objs:
            out += struct.pack("=QQ", dev, ino) + wstr(path) + struct.pack("=IIBI", sites, 0, 0,
                                                                           links)
        out += mem
    out += struct.pack("=I", len(rules))
    for comm, unit, until in rules:
        out += wstr(comm) + wstr(unit) + struct.pack("=IIQQ", 0, 0, until, 0)
    out += struct.pack("=I", len(exits))
    for pid, js in exits:
        out += struct.pack("=Q16sIQB3Q", pid, b"gone", 0, 1700000000, 1, 100, 1, 0)
        out += cred() + struct.pack("=IQ", 3, 1) + struct.pack("=I", len(js)) + js.encode()
    return out


def handover():
    stacks = [(0x51, [(0x1000, 0x10, 1, 0), (0x2000, 0x20, 0, 1)], False), (0x61, [], True)]
    mem = proc_mem(4242, [(0xa000, 100, 0), (0xc000, 300, 1)], stacks,
                   maps=[(0x100000, 0x104000, 0)], parked=[(2, 0xd000, 1, (0xd000, 50, 0))],
                   sampled=[(0xe000, 64, 4096, 1)])
    objs = [(8, 99, "/lib/x86_64-linux-gnu/libc.so.6", 10, 3)]
    summary = ('{"stacks":[{"pid":77,"level":"heap","bytes":100,"allocs":1,"frames":'
               '[{"pc":"0x1000","offset":"0x10","function":"leak_here","module":"leaker"}]}]}')
    full = handover_payload(procs=[(4242, objs, mem)], rules=[("nginx", "", 0),
                                                               ("", "web.service", 99)],
                            exits=[(77, summary)], modules=[(0, 0, "[vdso]")], jits=["jit_fn"])
    put("handover", "full", b"\0" + full)
    put("handover", "empty", b"\0" + handover_payload())
    put("handover", "rules", b"\0" + handover_payload(rules=[("a", "", 1)]))
    # Near misses: a block naming a stack not there, figures that do not add up.
    bad = proc_mem(4242, [(0xa000, 100, 5)], stacks)
    put("handover", "bad-stack", b"\0" + handover_payload(procs=[(4242, objs, bad)],
                                                           modules=[(0, 0, "[vdso]")],
                                                           jits=["jit_fn"]))
    put("handover", "truncated", b"\0" + full[:len(full) // 2])
    put("handover", "raw", b"\1LEAKDRST" + bytes(48))


def main():
    for fn in (proto, events, procmaps, perfmap, config, elf, handover):
        fn()
    return 0


if __name__ == "__main__":
    sys.exit(main())
