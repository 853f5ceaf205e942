"""A syntax check for udev rules, because systemd 252's udevadm has no ``verify`` (it came in
254) and udevd itself only logs a bad line and skips it at run time.

It follows udev(7): a rule is one line of comma-separated ``KEY[{attr}] OP "value"`` pairs;
match keys take ``==`` or ``!=``, assignment keys ``=``, ``+=``, ``-=`` or ``:=``; values are
double-quoted. Only the keys udev(7) documents are allowed, so a typo fails here instead of
being ignored on a kiosk.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MATCH_KEYS = {
    "ACTION",
    "DEVPATH",
    "KERNEL",
    "KERNELS",
    "NAME",
    "SYMLINK",
    "SUBSYSTEM",
    "SUBSYSTEMS",
    "DRIVER",
    "DRIVERS",
    "ATTR",
    "ATTRS",
    "SYSCTL",
    "TAG",
    "TAGS",
    "ENV",
    "CONST",
    "TEST",
    "PROGRAM",
    "RESULT",
}
ASSIGN_KEYS = {
    "NAME",
    "SYMLINK",
    "OWNER",
    "GROUP",
    "MODE",
    "SECLABEL",
    "ATTR",
    "SYSCTL",
    "ENV",
    "TAG",
    "RUN",
    "LABEL",
    "GOTO",
    "IMPORT",
    "OPTIONS",
}
WITH_ATTR = {"ATTR", "ATTRS", "SYSCTL", "ENV", "TEST", "IMPORT", "RUN", "SECLABEL", "CONST"}
PAIR = re.compile(r'\s*([A-Z]+)(?:\{([^{}"]+)\})?\s*(==|!=|\+=|-=|:=|=)\s*"((?:[^"\\]|\\.)*)"\s*')


class RuleSyntaxError(ValueError):
    """A line udevd would reject or misread; the message names the line and the reason."""


@dataclass(frozen=True)
class Pair:
    key: str
    attr: str | None
    op: str
    value: str


def parse_line(line: str, number: int = 0) -> list[Pair]:
    pairs: list[Pair] = []
    rest = line
    while True:
        m = PAIR.match(rest)
        if m is None:
            raise RuleSyntaxError(f'line {number}: cannot read a KEY OP "value" at {rest[:40]!r}')
        key, attr, op, value = m.groups()
        is_match = op in ("==", "!=")
        if is_match and key not in MATCH_KEYS:
            raise RuleSyntaxError(f"line {number}: {key} is not a match key")
        if not is_match and key not in ASSIGN_KEYS:
            raise RuleSyntaxError(f"line {number}: {key} cannot be assigned")
        if (attr is not None) != (key in WITH_ATTR) and key not in ("IMPORT", "RUN"):
            raise RuleSyntaxError(
                f"line {number}: {key} {'needs' if attr is None else 'takes no'} {{attribute}}"
            )
        pairs.append(Pair(key, attr, op, value))
        rest = rest[m.end() :]
        if not rest:
            return pairs
        if not rest.startswith(","):
            raise RuleSyntaxError(f"line {number}: expected ',' between pairs at {rest[:40]!r}")
        rest = rest[1:]


def parse_rules(text: str) -> list[list[Pair]]:
    """Every rule of a rules file; continuation lines (trailing backslash) are joined."""
    rules: list[list[Pair]] = []
    pending = ""
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        rules.append(parse_line(pending + line, number))
        pending = ""
    if pending:
        raise RuleSyntaxError("file ends inside a continued line")
    return rules
