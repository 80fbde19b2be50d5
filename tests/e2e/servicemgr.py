# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
"""A stand-in for systemd's side of a Type=notify service with a file descriptor
store, for the tests (PID 1 here need not be systemd): a datagram socket in the
test's own directory as $NOTIFY_SOCKET; it takes the service's states and the
descriptors it stores (FDSTORE=1, FDNAME=, the descriptors in SCM_RIGHTS), drops
those it is told to (FDSTOREREMOVE=1), and starts the next instance with them at
fds 3.. and $LISTEN_FDS, $LISTEN_FDNAMES, $LISTEN_PID, as sd_listen_fds(3)
describes.  Closing the store is what systemd does when the service is stopped
for good."""

import array
import fcntl
import os
import socket
import threading

from harness import TestFailure, Workdir

MAX_FDS = 253           # SCM_MAX_FD: a message carries no more


class ServiceManager:
    def __init__(self, max_stored=16384):
        self.wd = Workdir()
        self.path = self.wd.file("notify.sock")
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC)
        self.sock.bind(self.path)
        self.max_stored = max_stored    # FileDescriptorStoreMax=
        self.store = {}                 # name -> [fd, ...], in the order stored
        self.states = []                # every assignment received, in order
        self.refused = 0                # descriptors past max_stored, closed
        self.listen_pid = None          # None: the child's own pid, as systemd sets it
        self.cond = threading.Condition()
        self.closing = False
        self.thread = threading.Thread(target=self._receive, daemon=True)
        self.thread.start()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _receive(self):
        space = socket.CMSG_SPACE(MAX_FDS * array.array("i").itemsize)
        while True:
            try:
                msg, anc, _, _ = self.sock.recvmsg(4096, space, socket.MSG_CMSG_CLOEXEC)
            except OSError:
                return          # closed
            if not msg and not anc and self.closing:
                return
            fds = array.array("i")
            for level, kind, data in anc:
                if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
                    fds.frombytes(data[:len(data) - len(data) % fds.itemsize])
            with self.cond:
                if self.closing:
                    for fd in fds:
                        os.close(fd)
                    return
                self._apply(msg.decode(errors="replace"), list(fds))
                self.cond.notify_all()

    def _apply(self, text, fds):
        fields = dict(line.split("=", 1) for line in text.split("\n") if "=" in line)
        self.states.extend(text.split("\n"))
        name = fields.get("FDNAME", "stored")
        if fields.get("FDSTOREREMOVE") == "1":
            for fd in self.store.pop(name, []):
                os.close(fd)
        if fields.get("FDSTORE") == "1":
            for fd in fds:
                if self.count() >= self.max_stored:
                    os.close(fd)
                    self.refused += 1
                else:
                    self.store.setdefault(name, []).append(fd)
        else:
            for fd in fds:      # descriptors without FDSTORE=1 are not kept
                os.close(fd)

    def put(self, name, fd):
        """Stores a descriptor of the test's own, as if the service had sent it."""
        with self.cond:
            self.store.setdefault(name, []).append(os.dup(fd))

    def count(self):
        return sum(len(v) for v in self.store.values())

    def names(self):
        with self.cond:
            return set(self.store)

    def wait(self, what, fn, timeout=30):
        """Until fn() (called with the store locked) is true; fails after timeout."""
        with self.cond:
            if not self.cond.wait_for(fn, timeout):
                raise TestFailure(f"the service manager timed out waiting for {what}; "
                                  f"stored: {sorted(self.store)}")

    def link_ids(self, prefix=""):
        """The ids of the BPF links the store holds (under names with that prefix)."""
        out = set()
        with self.cond:
            fds = [fd for name, v in self.store.items() if name.startswith(prefix) for fd in v]
            for fd in fds:
                with open(f"/proc/self/fdinfo/{fd}") as f:
                    info = dict(line.split(":", 1) for line in f if ":" in line)
                if "link_id" in info:
                    out.add(int(info["link_id"]))
        return out

    def close_store(self):
        """What systemd does at a stop for good: every stored descriptor closed."""
        with self.cond:
            for v in self.store.values():
                for fd in v:
                    os.close(fd)
            self.store.clear()

    def launch(self, argv, kwargs):
        """argv and Popen arguments that start argv as this manager's service."""
        with self.cond:
            pairs = [(name, fd) for name, v in self.store.items() for fd in v]
        env = dict(kwargs.get("env") or os.environ, NOTIFY_SOCKET=self.path)
        for k in ("LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES"):
            env.pop(k, None)
        if pairs:
            env["LISTEN_FDS"] = str(len(pairs))
            env["LISTEN_FDNAMES"] = ":".join(name for name, _ in pairs)
            if self.listen_pid is None:
                # The child's own pid, known only in the child: the shell's $$.
                argv = ["sh", "-c", 'LISTEN_PID=$$ exec "$@"', "sh", *argv]
            else:
                env["LISTEN_PID"] = str(self.listen_pid)
        srcs = [fd for _, fd in pairs]

        def to_listen_fds():
            # Moved above every target first, so that no source is overwritten.
            base = max(srcs + [2 + len(srcs)]) + 1
            tmp = [fcntl.fcntl(fd, fcntl.F_DUPFD, base) for fd in srcs]
            for i, fd in enumerate(tmp):
                os.dup2(fd, 3 + i)      # inheritable: they cross the exec
            for fd in tmp:
                os.close(fd)
        # Only fds 3.. are inherited: the test's own descriptors are close-on-exec.
        return argv, dict(kwargs, env=env, close_fds=False,
                          preexec_fn=to_listen_fds if pairs else None)

    def close(self):
        with self.cond:
            self.closing = True
        try:
            self.sock.shutdown(socket.SHUT_RDWR)    # wakes the receiver in recvmsg
        except OSError:
            pass
        self.thread.join(timeout=5)
        self.sock.close()
        self.close_store()
