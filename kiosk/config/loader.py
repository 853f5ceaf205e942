"""Reads the kiosk TOML file and turns every problem into a message a technician can act
on: the file, the line, the dotted key, what is wrong and what is allowed.

``tomllib`` keeps no positions, so ``_key_lines`` scans the text once to map each dotted
key (and each table header) to its line. It understands what our config uses: tables,
arrays of tables, dotted and quoted keys; a key it cannot place is reported at its
table's header line, never at a wrong line.
"""

from __future__ import annotations

import os
import re
import stat
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, get_args, get_origin

from pydantic import BaseModel, ValidationError
from pydantic.fields import FieldInfo

from kiosk.config.schema import KioskConfig

DEFAULT_PATH = Path("/etc/bdmi-kiosk/kiosk.toml")
ENV_VAR = "BDMI_CONFIG"

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class ConfigIssue:
    reason: str  # stable code, explained in docs/operations.md
    key: str  # dotted key, "" for the whole file
    line: int | None
    message: str
    severity: Severity = "error"

    def format(self, path: Path | str) -> str:
        where = f"{path}:{self.line}" if self.line else f"{path}"
        key = f" {self.key}:" if self.key else ""
        return f"{where}: {self.severity} {self.reason}:{key} {self.message}"


class ConfigError(Exception):
    """The file cannot be used. ``issues`` lists every problem found, not only the first."""

    def __init__(self, path: Path, issues: list[ConfigIssue]) -> None:
        self.path = path
        self.issues = issues
        super().__init__("\n".join(i.format(path) for i in issues))


def resolve_path(cli_value: str | os.PathLike[str] | None) -> Path:
    """``--config`` wins, then ``$BDMI_CONFIG``, then the production location."""
    if cli_value:
        return Path(cli_value)
    if env := os.environ.get(ENV_VAR):
        return Path(env)
    return DEFAULT_PATH


def load_config(path: Path | str) -> KioskConfig:
    config, issues = check_config(path)
    errors = [i for i in issues if i.severity == "error"]
    if config is None or errors:
        raise ConfigError(Path(path), errors)
    return config


MAX_CONFIG_BYTES = 256 * 1024
"""A full production config is a few KiB; anything this large is not one, and parsing and
validating it unbounded is how a hostile file exhausts memory."""
MAX_NESTING = 12
"""Tables, dotted keys, inline tables and arrays together; the schema itself nests 3 deep."""


def check_config(path: Path | str) -> tuple[KioskConfig | None, list[ConfigIssue]]:
    """Validate without raising: the config (None when unusable) and every issue."""
    path = Path(path)
    try:
        with path.open("rb") as file:
            raw = file.read(MAX_CONFIG_BYTES + 1)
        if len(raw) > MAX_CONFIG_BYTES:
            return None, [
                ConfigIssue(
                    "CFG_UNREADABLE",
                    "",
                    None,
                    f"the file is larger than {MAX_CONFIG_BYTES // 1024} KiB: not a kiosk config",
                )
            ]
        text = raw.decode("utf-8")
    except FileNotFoundError:
        return None, [ConfigIssue("CFG_NOT_FOUND", "", None, "file not found")]
    except (OSError, UnicodeDecodeError) as exc:
        return None, [ConfigIssue("CFG_UNREADABLE", "", None, f"cannot read: {exc}")]
    if (deep := _too_deep(text)) is not None:
        line, depth = deep
        return None, [
            ConfigIssue(
                "CFG_SYNTAX",
                "",
                line,
                f"nested {depth} levels deep (tables, dotted keys, inline tables and arrays "
                f"together); a kiosk config nests at most {MAX_NESTING}",
            )
        ]
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        match = re.search(r"\(at line (\d+), column (\d+)\)", str(exc))
        line = int(match.group(1)) if match else None
        msg = re.sub(r"\s*\(at line \d+, column \d+\)", "", str(exc))
        if match:
            msg += f" (column {match.group(2)})"
        return None, [ConfigIssue("CFG_SYNTAX", "", line, f"TOML syntax: {msg}")]

    lines = _key_lines(text)
    try:
        config = KioskConfig.model_validate(data)
    except ValidationError as exc:
        return None, [issue for err in exc.errors() for issue in _issues_from_error(err, lines)]
    return config, _check_secret_files(config, lines, path.parent)


def _issues_from_error(err: Any, lines: dict[tuple[str, ...], int]) -> list[ConfigIssue]:
    if err["type"] == "production_mode":
        return [
            ConfigIssue(
                "CFG_PRODUCTION_FORBIDS",
                key,
                _line_for(tuple(key.split(".")), lines) or lines.get(("device", "mode")),
                f"{problem}: not allowed in production mode (device.mode)",
            )
            for key, problem in err["ctx"]["problems"]
        ]
    return [_issue_from_error(err, lines)]


def _issue_from_error(err: Any, lines: dict[tuple[str, ...], int]) -> ConfigIssue:
    loc = tuple(str(p) for p in err["loc"])
    key = ".".join(loc)
    line = _line_for(loc, lines)
    kind = err["type"]
    if kind == "extra_forbidden":
        allowed = _allowed_keys(loc[:-1])
        return ConfigIssue(
            "CFG_UNKNOWN_KEY", key, line, f"unknown key (allowed here: {', '.join(allowed)})"
        )
    if kind == "missing":
        return ConfigIssue("CFG_MISSING_KEY", key, line, "required key is missing")
    given = err.get("input")
    shown = "" if isinstance(given, dict) else f" (got {given!r})"
    message = err["msg"].removeprefix("Value error, ")
    allowed = _allowed_values(loc)
    allowed = f"; allowed: {allowed}" if allowed else ""
    return ConfigIssue("CFG_INVALID_VALUE", key, line, f"{message}{shown}{allowed}")


def _field(loc: tuple[str, ...]) -> FieldInfo | None:
    model: type[BaseModel] | None = KioskConfig
    field = None
    for part in loc:
        if model is None or (field := model.model_fields.get(part)) is None:
            return None
        model = _model_in(field.annotation)
    return field


def _allowed_values(loc: tuple[str, ...]) -> str:
    """The numeric range a key accepts: pydantic's own message already lists the choices
    of a Literal and the pattern of a string, but not both bounds of a range."""
    field = _field(loc)
    if field is None:
        return ""
    ge = next((m.ge for m in field.metadata if hasattr(m, "ge")), None)
    le = next((m.le for m in field.metadata if hasattr(m, "le")), None)
    if ge is None and le is None:
        return ""
    return f"{ge if ge is not None else '-inf'} to {le if le is not None else 'inf'}"


def _allowed_keys(loc: tuple[str, ...]) -> list[str]:
    model = _model_in(_field(loc).annotation) if loc and _field(loc) else KioskConfig
    return list(model.model_fields) if model else []


def _model_in(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if get_origin(annotation) is not None:
        for arg in get_args(annotation):
            found = _model_in(arg)
            if found is not None:
                return found
    return None


def _secrets_at_default_paths(config: KioskConfig) -> dict[str, Path]:
    """Secrets the config does not name but the kiosk reads from a default path: checked
    when they exist (provisioning creates them later, so absence is no issue)."""
    found: dict[str, Path] = {}
    if config.security.machine_secret_file is None:
        found["security.machine_secret_file"] = config.machine_secret_path
    if config.store.key_file is None and config.device.mode == "demo":
        found["store.key_file"] = config.device.state_dir / "store.key"
    return {key: file for key, file in found.items() if file.exists() or file.is_symlink()}


def _link_escapes(file: Path, config_dir: Path) -> Path | None:
    """Where a secret that is a symbolic link really lives, when that is outside both the
    config directory and the link's own directory: a link can quietly hand the kiosk a file
    that someone else controls."""
    if not file.is_symlink():
        return None
    target = file.resolve()
    homes = (config_dir.resolve(), file.parent.resolve())
    return None if any(target.is_relative_to(home) for home in homes) else target


def _check_secret_files(
    config: KioskConfig, lines: dict[tuple[str, ...], int], config_dir: Path
) -> list[ConfigIssue]:
    """Secret files must exist and be readable by the kiosk, belong to it, and nobody else
    should read them; the ones at default paths too. Never reads their contents into a
    message."""
    issues: list[ConfigIssue] = []
    production = config.device.mode == "production"
    strict: Severity = "error" if production else "warning"
    secrets = {**_secrets_at_default_paths(config), **config.secret_files()}
    for key, file in secrets.items():
        line = _line_for(tuple(key.split(".")), lines)
        if (target := _link_escapes(file, config_dir)) is not None:
            issues.append(
                ConfigIssue(
                    "CFG_SECRET_PERMISSIONS",
                    key,
                    line,
                    f"{file} is a link to {target}, outside {config_dir} and its own "
                    "directory; put the secret file itself there",
                    strict,
                )
            )
            continue
        try:
            st = file.stat()
        except FileNotFoundError:
            issues.append(
                ConfigIssue("CFG_SECRET_MISSING", key, line, f"{file} does not exist", strict)
            )
            continue
        except OSError as exc:
            issues.append(
                ConfigIssue("CFG_SECRET_UNREADABLE", key, line, f"{file}: {exc.strerror}")
            )
            continue
        if not stat.S_ISREG(st.st_mode):
            issues.append(ConfigIssue("CFG_SECRET_UNREADABLE", key, line, f"{file} is not a file"))
        elif not os.access(file, os.R_OK):
            issues.append(
                ConfigIssue("CFG_SECRET_UNREADABLE", key, line, f"{file} is not readable")
            )
        elif st.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
            issues.append(
                ConfigIssue(
                    "CFG_SECRET_PERMISSIONS",
                    key,
                    line,
                    f"{file} is accessible by group or others (mode {stat.S_IMODE(st.st_mode):o}); "
                    "chmod 600 it",
                    strict,
                )
            )
        elif st.st_uid not in (0, os.geteuid()):
            issues.append(
                ConfigIssue(
                    "CFG_SECRET_PERMISSIONS",
                    key,
                    line,
                    f"{file} belongs to uid {st.st_uid}, not to the kiosk's user or root; chown it",
                    strict,
                )
            )
    return issues


_OPENERS = {"{": "}", "[": "]"}


def _too_deep(text: str) -> tuple[int, int] | None:
    """The first line where the nesting passes MAX_NESTING, and how deep it is there.

    Runs before tomllib, which recurses per level (a deep inline table is a RecursionError)
    and whose output every later step walks: a bound checked first keeps every step linear.
    A lexical scan is enough: brackets and braces outside strings and comments, plus the
    dotted parts of a table header or key.
    """
    depth = 0
    table_depth = 0
    for number, line in enumerate(text.splitlines(), start=1):
        code = _without_strings_and_comment(line)
        stripped = code.strip()
        if depth == 0 and (header := _HEADER.match(stripped) or _ARRAY_HEADER.match(stripped)):
            table_depth = header["name"].count(".") + 1
            if table_depth > MAX_NESTING:
                return number, table_depth
            continue
        if depth == 0 and "=" in stripped:
            keys = stripped.split("=", 1)[0].count(".") + 1
            if table_depth + keys > MAX_NESTING:
                return number, table_depth + keys
        for char in code:
            if char in _OPENERS:
                depth += 1
                if table_depth + depth > MAX_NESTING:
                    return number, table_depth + depth
            elif char in _OPENERS.values():
                depth = max(depth - 1, 0)
    return None


def _without_strings_and_comment(line: str) -> str:
    """The line with its quoted strings emptied and its comment dropped, so brackets and
    dots inside values do not count as nesting."""
    out: list[str] = []
    quote: str | None = None
    escaped = False
    for char in line:
        if quote is not None:
            if escaped:
                escaped = False
            elif char == "\\" and quote == '"':
                escaped = True
            elif char == quote:
                quote = None
                out.append(char)
            continue
        if char == "#":
            break
        if char in "\"'":
            quote = char
        out.append(char)
    return "".join(out)


def _line_for(loc: tuple[str, ...], lines: dict[tuple[str, ...], int]) -> int | None:
    """The key's own line, else the nearest enclosing table's line."""
    for end in range(len(loc), 0, -1):
        if loc[:end] in lines:
            return lines[loc[:end]]
    return None


_HEADER = re.compile(r"^\[\s*(?P<name>[^\[\]]+?)\s*\]\s*(#.*)?$")
_ARRAY_HEADER = re.compile(r"^\[\[\s*(?P<name>[^\[\]]+?)\s*\]\]\s*(#.*)?$")
_KEY = re.compile(
    r"""^(?P<key>(?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*')(?:\s*\.\s*(?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*'))*)\s*="""
)


def _split_key(key: str) -> tuple[str, ...]:
    parts = re.findall(r"""[A-Za-z0-9_-]+|"[^"]*"|'[^']*'""", key)
    return tuple(p.strip("\"'") for p in parts)


def _key_lines(text: str) -> dict[tuple[str, ...], int]:
    lines: dict[tuple[str, ...], int] = {}
    table: tuple[str, ...] = ()
    array_index: dict[tuple[str, ...], int] = {}
    in_multiline: str | None = None
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if in_multiline:
            if in_multiline in line:
                in_multiline = None
            continue
        if not line or line.startswith("#"):
            continue
        if m := _ARRAY_HEADER.match(line):
            name = _split_key(m["name"])
            index = array_index[name] = array_index.get(name, -1) + 1
            table = (*name, str(index))
            lines.setdefault(name, number)
            lines[table] = number
        elif m := _HEADER.match(line):
            table = _split_key(m["name"])
            lines[table] = number
        elif m := _KEY.match(line):
            parts = _split_key(m["key"])
            for end in range(1, len(parts) + 1):  # a.b.c = 1 also defines tables a and a.b
                lines.setdefault((*table, *parts[:end]), number)
            rest = line[m.end() :]
            for quote in ('"""', "'''"):
                if rest.count(quote) == 1:
                    in_multiline = quote
    return lines
