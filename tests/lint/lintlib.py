# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
"""What the lint tests share: loud failures, tools that must exist under CI, and
man pages read through mandoc's HTML (sections, tagged items, synopsis lines)."""
import html.parser
import os
import re
import shutil
import subprocess
import sys

SKIP = 77
_failures = []


def in_ci():
    return os.environ.get("CI", "").lower() in ("true", "1", "yes")


def need(*tools):
    """Every tool (a command, or an absolute path) or the test cannot run: then it
    fails under CI=true and is skipped elsewhere."""
    missing = [t for t in tools
               if not (os.path.exists(t) if os.path.isabs(t) else shutil.which(t))]
    if not missing:
        return
    what = ", ".join(missing)
    if in_ci():
        print(f"FAIL: missing {what} (CI=true: a missing tool is a failure)", file=sys.stderr)
        sys.exit(1)
    print(f"SKIP: missing {what}", file=sys.stderr)
    sys.exit(SKIP)


def fail(msg):
    _failures.append(msg)
    print(f"FAIL: {msg}", file=sys.stderr)


def check(cond, msg):
    if not cond:
        fail(msg)
    return cond


def finish():
    if _failures:
        print(f"{len(_failures)} check(s) failed", file=sys.stderr)
        sys.exit(1)
    print("ok")
    sys.exit(0)


def run(cmd, **kw):
    kw.setdefault("capture_output", True)
    kw.setdefault("text", True)
    return subprocess.run(cmd, **kw)


def words(s):
    """Whitespace normalized."""
    return " ".join(s.split())


class Section:
    def __init__(self, name):
        self.name = name
        self.items = []         # (tag, body, subsection)
        self.rows = []          # table rows (the synopsis), cells joined by a blank
        self.text = ""


class ManPage(html.parser.HTMLParser):
    """A man page as mandoc renders it to HTML: .SH sections, their .TP/.TQ items
    (tag and body text, by .SS subsection) and .SY lines."""

    def __init__(self, path):
        super().__init__(convert_charrefs=True)
        self.path = path
        self.sections = {}
        self._sec = None
        self._sub = None
        self._heading = None    # "h1" or "h2" while in one
        self._buf = ""
        self._dt = None         # tag text while in a dt
        self._dd = None         # body text while in a dd (outermost)
        self._dd_depth = 0
        self._tag = None        # the tag(s) the next dd belongs to
        self._row = None
        self._cell = None
        out = run(["mandoc", "-T", "html", "-O", "fragment", path])
        if out.returncode:
            raise RuntimeError(f"mandoc -T html {path}: {out.stderr}")
        self.feed(out.stdout)
        self.close()

    def handle_starttag(self, tag, attrs):
        if tag in ("h1", "h2"):
            self._heading = tag
            self._buf = ""
        elif tag == "dt" and self._dd_depth == 0:
            self._dt = ""
        elif tag == "dd":
            if self._dd_depth == 0:
                self._dd = ""
            self._dd_depth += 1
        elif tag == "tr":
            self._row = []
        elif tag == "td" and self._row is not None:
            self._cell = ""

    def handle_endtag(self, tag):
        if tag == self._heading:
            name = words(self._buf)
            if tag == "h1":
                self._sec = self.sections.setdefault(name, Section(name))
                self._sub = None
            else:
                self._sub = name
            self._heading = None
        elif tag == "dt" and self._dt is not None:
            t = words(self._dt)
            # .TQ: several tags, one body.
            self._tag = t if self._tag is None else self._tag + "\n" + t
            self._dt = None
        elif tag == "dd" and self._dd_depth:
            self._dd_depth -= 1
            if self._dd_depth == 0:
                for t in (self._tag or "").split("\n"):
                    self._sec.items.append((t, words(self._dd), self._sub))
                self._tag = None
                self._dd = None
        elif tag == "td" and self._cell is not None:
            self._row.append(words(self._cell))
            self._cell = None
        elif tag == "tr" and self._row is not None:
            if self._sec is not None:
                self._sec.rows.append(" ".join(c for c in self._row if c))
            self._row = None

    def handle_data(self, data):
        if self._heading:
            self._buf += data
            return
        if self._dt is not None:
            self._dt += data
        elif self._dd is not None:
            self._dd += data
        if self._cell is not None:
            self._cell += data
        if self._sec is not None:
            self._sec.text += data

    def section(self, name):
        s = self.sections.get(name)
        check(s is not None, f"{self.path}: no section {name}")
        return s or Section(name)


def help_usage_lines(help_text):
    """The usage lines of --help: "Usage: X" and the lines indented under it."""
    lines = help_text.splitlines()
    out = []
    for i, line in enumerate(lines):
        if line.startswith("Usage:"):
            out.append(words(line[len("Usage:"):]))
            for more in lines[i + 1:]:
                if not more.strip() or not more.startswith(" "):
                    break
                out.append(words(more))
            break
    return out


def help_exit_codes(help_text):
    """The codes of the "Exit status:" sentence of --help."""
    m = re.search(r"Exit status:(.*?)(See |\Z)", help_text, re.S)
    return sorted(int(c) for c in re.findall(r"(?<![\w-])(\d+) ", m.group(1))) if m else []
