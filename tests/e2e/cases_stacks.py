# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
"""Stacks that are right: .eh_frame unwinding in the kernel on code built -O2
without frame pointers, through libc, libstdc++, signal frames, dlopen'd code and
uretprobe trampolines."""

import os
import re
import shutil
import subprocess
import time

from harness import (Attached, Skip, TestFailure, Workdir, check, check_eq, check_truth,
                     frame_function, is_system_frame, leaker, read_json_lines, run_command,
                     wait_for_line)

TRACEFS = "/sys/kernel/tracing"


def case_deep_chain():
    """Twelve frames of -O2 -fomit-frame-pointer code, frame for frame, to _start."""
    r = run_command([leaker("leak_deep")])
    check_eq(r.returncode, 0, "leakd exit status")
    rep = r.final()
    check_truth(rep, r.truth, "leak_deep")
    st = rep["stacks"][0]
    names = [frame_function(f) for f in st["frames"]]
    check_eq(names[-1], "_start", "outermost frame")
    check_eq(st["cut"], [], "the walk was cut")
    check(all(f["unwound_by"] == "table" for f in st["frames"]), "a frame by frame pointer")


def case_through_libc():
    """strdup calls malloc inside libc: the user function is right below it."""
    r = run_command([leaker("leak_entry")])
    rep = r.final()
    check_truth(rep, r.truth, "leak_entry")


def case_cxx_container():
    """A leak behind std::unordered_map: operator new, then the user function."""
    r = run_command([leaker("leak_cxx")])
    check_eq(r.returncode, 0, "leakd exit status")
    rep = r.final()
    for t in r.truth["sites"]:
        t["via"] = "operator new(unsigned long)"
    check_truth(rep, r.truth, "leak_cxx")


def case_jit_anonymous_code():
    """A leak from code in anonymous memory (a JIT's, no perf map): the frame is said
    to be anonymous code at its address, never in a file that maps read earlier had
    there (the kernel may reuse the range the loader's ld.so.cache had), and the walk
    goes on to main."""
    r = run_command([leaker("leak_jit")])
    check_eq(r.returncode, 0, "leakd exit status")
    rep = r.final()
    check_truth(rep, r.truth, "leak_jit")
    code = r.truth["notes"]["code"]
    for st in rep["stacks"]:
        names = [frame_function(f) for f in st["frames"]]
        if names[:1] != ["leak_from_jit"]:
            continue
        jit = st["frames"][1]
        check(jit.get("anonymous_code") and jit.get("module") is None,
              f"the JIT frame: {jit}")
        check(code <= int(jit["pc"], 16) < code + 4096, f"the JIT frame's pc: {jit}")
        check_eq(names[2], "main", "the frame below the JIT code")
    text = run_command([leaker("leak_jit")], json_out=False).reports
    check("anonymous code: JIT without a perf map" in text, f"the text report:\n{text}")


def case_signal_frame():
    """A leak in a signal handler: the walk crosses the kernel's signal frame."""
    r = run_command([leaker("leak_signal")])
    check_eq(r.returncode, 0, "leakd exit status")
    rep = r.final()
    check_truth(rep, r.truth, "leak_signal")
    frames = rep["stacks"][0]["frames"]
    check(any(f.get("interrupted") for f in frames), "no interrupted frame after the handler")


def case_stack_top():
    """A leak from a coroutine's frames right below the end of its stack (nothing
    readable above it): exact, and the walk complete to the coroutine's start."""
    r = run_command([leaker("leak_stacktop")])
    check_eq(r.returncode, 0, "leakd exit status")
    rep = r.final()
    check_truth(rep, r.truth, "leak_stacktop")
    st = rep["stacks"][0]
    check_eq(st["cut"], [], "the walk was cut")
    check(all(f["unwound_by"] == "table" for f in st["frames"]), "a frame by frame pointer")


def case_same_sp():
    """Allocations that start from one stack pointer through other callers, in turn
    (a thread's walks are remembered by where they start): each exactly on its own
    stack, whether the first return address differs or only a deeper one."""
    r = run_command([leaker("leak_samesp")])
    check_eq(r.returncode, 0, "leakd exit status")
    rep = r.final()
    notes = r.truth["notes"]
    check_eq(notes["same_sp"], 1, "the callers' allocations started at one stack pointer")
    check_truth(rep, r.truth, "leak_samesp")
    by_caller = {}
    for st in rep["stacks"]:
        names = [frame_function(f) for f in st["frames"] if not is_system_frame(f)]
        if names[:2] == ["leaf", "mid"]:
            b, n = by_caller.get(names[2], (0, 0))
            by_caller[names[2]] = (b + st["bytes"], n + st["allocs"])
    check_eq(by_caller, {"via_a": (notes["via_a_bytes"], notes["via_a_count"]),
                         "via_b": (notes["via_b_bytes"], notes["via_b_count"])},
             "leaf's bytes and blocks by caller")


def case_dlopen():
    """A library loaded at run time: its table is built when it is mapped, and its
    leak has the caller in the program below it."""
    a = Attached(leakd_args=["-v"], leaker_argv=[leaker("leak_dlopen")])
    try:
        a.send()
        check(a.leaker_line("dlopen").startswith("loaded"), "the leaker did not load")
        # Its mapping wakes leakd, which builds the table; the leak waits for it.
        wait_for_line(a.leakd.stderr, "unwind table ready: " + leaker("leakplugin.so"),
                      "the plugin's unwind table", seen=a.stderr_lines)
        a.release()
        r = a.finish()
    finally:
        a.kill()
    check_eq(r.returncode, 0, "leakd exit status")
    check_truth(r.final(), r.truth, "leakplugin.so")


def file_offset(path, symbol):
    """The file offset of a function, from readelf's symbols and program headers."""
    syms = subprocess.run(["readelf", "-sW", path], stdout=subprocess.PIPE, text=True).stdout
    addr = None
    for line in syms.splitlines():
        f = line.split()
        if len(f) >= 8 and f[7] == symbol and f[3] == "FUNC":
            addr = int(f[1], 16)
    check(addr is not None, f"no symbol {symbol} in {path}")
    phdrs = subprocess.run(["readelf", "-lW", path], stdout=subprocess.PIPE, text=True).stdout
    for line in phdrs.splitlines():
        f = line.split()
        if f and f[0] == "LOAD":
            off, vaddr, filesz = int(f[1], 16), int(f[2], 16), int(f[4], 16)
            if vaddr <= addr < vaddr + filesz:
                return addr - vaddr + off
    raise TestFailure(f"{symbol} in no LOAD segment")


def tracefs_write(name, text):
    # Not open(): Python seeks to the end of an appended file, which tracefs refuses.
    fd = os.open(os.path.join(TRACEFS, name), os.O_WRONLY | os.O_APPEND)
    try:
        os.write(fd, text.encode())
    finally:
        os.close(fd)


def case_uretprobe_trampoline():
    """A return probe (tracefs) on a function of the chain replaces its return
    address with the kernel's trampoline: the walk maps it back."""
    if not os.path.exists(os.path.join(TRACEFS, "uprobe_events")):
        subprocess.run(["mount", "-t", "tracefs", "tracefs", TRACEFS], check=True)
    exe = leaker("leak_deep")
    event = f"r:leakd_test/chain6 {exe}:{file_offset(exe, 'chain6'):#x}"
    tracefs_write("uprobe_events", event + "\n")
    try:
        tracefs_write("events/leakd_test/chain6/enable", "1")
        r = run_command([exe])
    finally:
        tracefs_write("events/leakd_test/chain6/enable", "0")
        tracefs_write("uprobe_events", "-:leakd_test/chain6\n")
    rep = r.final()
    check(rep["counters"]["unwind_trampolines"] > 0, "no trampoline met: was the probe live?")
    check_truth(rep, r.truth, "leak_deep")


def case_table_cache():
    """Tables built once are kept by build-id and loaded, not rebuilt, next time."""
    cache = Workdir().path
    first = run_command([leaker("leak_deep")], leakd_args=["--cache-dir", cache])
    files = sorted(os.listdir(cache))
    check(any(re.fullmatch(r"[0-9a-f]{40}\.unw", f) for f in files), f"cache holds {files}")
    second = run_command([leaker("leak_deep")], leakd_args=["--cache-dir", cache, "-v"])
    check(second.stderr.count("from the cache") >= 3,
          "the second run built its tables again:\n" + second.stderr)
    for r in (first, second):
        check_truth(r.final(), r.truth, "leak_deep")


def case_exited_symbolized():
    """A process that exits at once: its report still has names (symbols were read
    while it lived)."""
    r = run_command([leaker("leak_deep")])
    names = [frame_function(f) for f in r.final()["stacks"][0]["frames"]]
    check("chain6" in names and "main" in names, f"frames {names}")


def case_node_perf_map():
    """A Node.js program run with --perf-basic-prof that leaks from a JS function:
    the function's name, from the perf map, is in the stack."""
    node = shutil.which("node") or shutil.which("nodejs")
    check(node is not None, "no node (setup.sh installs Debian's nodejs)")
    script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "../leakers/leak_node.js")
    a = Attached(leakd_args=["--interval", "200ms"],
                 leaker_argv=[node, "--perf-basic-prof", "--interpreted-frames-native-stack",
                              script])
    try:
        a.send()
        check(a.leaker_line("the leak").startswith("leaked 200"), "the script did not leak")

        def js_stack():
            for rep in read_json_lines(a.out) if os.path.exists(a.out) else []:
                for st in rep["stacks"]:
                    names = [frame_function(f) for f in st["frames"]]
                    if any("leakyFunction" in n for n in names):
                        return st
            return None
        deadline = time.monotonic() + 30
        st = js_stack()
        while not st:
            check(time.monotonic() < deadline, "no stack through leakyFunction in 30 s")
            check(a.leakd.poll() is None, "leakd ended early")
            time.sleep(0.1)
            st = js_stack()
        jit = [f for f in st["frames"] if f.get("jit")]
        check(any("leakyFunction" in f["function"] for f in jit), "not named from the perf map")
        check(st["bytes"] >= 256 * 1024, f"{st['bytes']} bytes from leakyFunction")
        a.release()
        a.finish()
    finally:
        a.kill()
        if os.path.exists(f"/tmp/perf-{a.pid}.map"):
            os.unlink(f"/tmp/perf-{a.pid}.map")


def marked_line(path, mark):
    with open(path) as f:
        for n, line in enumerate(f, 1):
            if f"LINE:{mark}" in line:
                return n
    raise TestFailure(f"no LINE:{mark} in {path}")


def case_source_lines():
    """Built with DWARF: the leak's frame names its source line, and the function
    inlined into it, as inlined, with its own line."""
    src = os.path.join(os.path.dirname(os.path.abspath(__file__)), "../leakers/leak_inline.c")
    r = run_command([leaker("leak_inline")])
    rep = r.final()
    check_truth(rep, r.truth, "leak_inline")
    fr = rep["stacks"][0]["frames"][0]
    check_eq(fr["function"], "inline_caller", "frame 0")
    check_eq((os.path.basename(fr.get("file", "")), fr.get("line")),
             ("leak_inline.c", marked_line(src, "inline_caller")), "frame 0's source line")
    inl = fr.get("inlined", [])
    check_eq([i["function"] for i in inl], ["inline_helper"], "functions inlined at frame 0")
    check_eq(inl[0]["line"], marked_line(src, "inline_helper"), "the inlined function's line")
    text = run_command([leaker("leak_inline")], json_out=False).reports
    check("inline_helper (inlined) leak_inline.c:" in text, text)


def rust_leaker(mangling):
    """leak_rust built with rustc's legacy or v0 symbol mangling."""
    exe = leaker(f"leak_rust_{mangling}")
    if not os.path.exists(exe):
        raise Skip("rustc was not found when the tests were built (setup.sh installs it)")
    return exe


def rust_base(name):
    """A Rust function's name without the generic arguments v0 names carry."""
    return re.sub(r"::<.*>$", "", name)


def check_rust_report(rep, truth, mangling):
    """Each site of the truth holds exactly its bytes and blocks, counted under the
    innermost frame of the program's own code (leak_rust::...), demangled; no
    frame of the program is left mangled."""
    module = f"leak_rust_{mangling}"
    sites = {}
    for st in rep["stacks"]:
        names = [frame_function(f) for f in st["frames"] if f.get("module") == module]
        mangled = [n for n in names if n.startswith("_ZN") or n.startswith("_R")]
        check(not mangled, f"{mangling}: frames left mangled: {mangled}")
        own = [n for n in names if n.startswith("leak_rust::")]
        if not own:
            continue
        s = sites.setdefault(rust_base(own[0]), {"bytes": 0, "count": 0, "names": set()})
        s["bytes"] += st["bytes"]
        s["count"] += st["allocs"]
        s["names"].add(own[0])
    for t in truth["sites"]:
        got = sites.get(t["function"])
        if not t["bytes"]:
            check(got is None, f"{mangling}: {t['function']} should hold nothing: {got}")
            continue
        check(got is not None, f"{mangling}: no stack from {t['function']}; sites: {sorted(sites)}")
        check_eq((got["bytes"], got["count"]), (t["bytes"], t["count"]),
                 f"{mangling}: {t['function']} bytes, blocks")
    return sites


def case_rust_names():
    """A Rust program, built with each symbol mangling: its leaking functions are
    named demangled, with exact bytes and blocks; v0 names keep their generic
    arguments in JSON and lose them in text with --short-names."""
    generic = {"legacy": "leak_rust::leaky_generic", "v0": "leak_rust::leaky_generic::<u64>"}
    for mangling in ("legacy", "v0"):
        exe = rust_leaker(mangling)
        r = run_command([exe])
        check_eq(r.returncode, 0, f"leakd exit status ({r.stderr.strip()})")
        rep = r.final()
        check(rep["complete"], f"report incomplete: {rep['counters']}")
        sites = check_rust_report(rep, r.truth, mangling)
        check_eq(sites["leak_rust::leaky_generic"]["names"], {generic[mangling]},
                 f"{mangling}: the generic function's name in JSON")
        full = run_command([exe], json_out=False).reports
        short = run_command([exe], leakd_args=["--short-names"], json_out=False).reports
        for text, name in ((full, generic[mangling]), (short, "leak_rust::leaky_generic")):
            check(f"\t{name}+0x" in text, f"{mangling}: no frame '{name}' in:\n{text}")
            check("\tleak_rust::leaky_fn+0x" in text, f"{mangling}: no leaky_fn in:\n{text}")
        check("::<" not in short, f"{mangling}: generic arguments left:\n{short}")


def case_cxx_short_names():
    """--short-names on C++ frames: template arguments, parameters and return types
    go in text; JSON keeps the whole name."""
    exe = leaker("leak_cxx")
    full = run_command([exe], leakd_args=["-n", "3"], json_out=False).reports
    short = run_command([exe], leakd_args=["-n", "3", "--short-names"], json_out=False).reports
    check("\toperator new(unsigned long)+0x" in full, full)
    check("\tfill_map(int)+0x" in full, full)
    check("\toperator new+0x" in short, short)
    check("\tfill_map+0x" in short, short)
    check("\tstd::unordered_map::operator[] (inlined)" in short, short)
    check("\tstd::__detail::_Hashtable_alloc::_M_allocate_node (inlined)" in short, short)
    check("<" not in short and "const&" not in short, f"template arguments left:\n{short}")
    rep = run_command([exe], leakd_args=["--short-names"]).final()
    names = {frame_function(f) for st in rep["stacks"] for f in st["frames"]}
    check("fill_map(int)" in names, f"JSON lost the whole name: {sorted(names)}")
