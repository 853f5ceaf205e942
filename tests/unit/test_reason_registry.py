"""Every reason code the software can emit has words for the person, in both languages.

The codes are enumerated from the source itself, two ways: every string constant in kiosk/ and
drivers/ shaped like a reason code (the scan test_reason_codes.py uses for the technician
guide), and the values of every enum there whose members are codes (imported, so a code built
from an enum's value is counted even where no literal names it). Each must be in the registry
(kiosk/reasons) with a screen text, a spoken line and a next step in zh_CN and in English. A
generic fallback would hide a new code: there is none, and this test is what finds it.

The spoken prompts the flows ask for are enumerated from their ``Speak(...)`` calls; a prompt
name built at run time (an f-string) cannot be checked, so it fails here too.
"""

from __future__ import annotations

import ast
import importlib
import re
from enum import StrEnum
from pathlib import Path

from kiosk.idv.gestures import Gesture
from kiosk.idv.liveness import LivenessFailure
from kiosk.idv.quality import QualityIssue
from kiosk.reasons import LANGUAGES, PROMPTS, REASONS
from tests.unit.test_reason_codes import CODE, reason_codes_in_source

REPO = Path(__file__).resolve().parents[2]
PACKAGES = ("kiosk", "drivers")
# The signed records moved from kiosk/security to the shared protocol (issue 17); the kiosk
# still signs and checks with them and shows their SEC_* codes, so their codes stay in scope.
# The rest of edge_sync/protocol (wire, bundle, proof codes) is explained in the technician
# guide (test_reason_codes.py), as it was before the move.
RECORD_MODULES = tuple(
    f"edge_sync/protocol/{name}.py"
    for name in ("errors", "fields", "result", "consent_record", "signed", "signature")
)


def _scanned_files() -> list[Path]:
    files = [path for package in PACKAGES for path in sorted((REPO / package).rglob("*.py"))]
    return files + [REPO / name for name in RECORD_MODULES]


def enum_codes() -> dict[str, str]:
    """Values of StrEnums in kiosk/, drivers/ and the record modules whose values are reason
    codes."""
    found: dict[str, str] = {}
    for path in _scanned_files():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        classes = [n.name for n in tree.body if isinstance(n, ast.ClassDef)]
        if not classes:
            continue
        module = ".".join(path.relative_to(REPO).with_suffix("").parts)
        if "StrEnum" not in path.read_text(encoding="utf-8"):
            continue
        loaded = importlib.import_module(module.removesuffix(".__init__"))
        for name in classes:
            cls = getattr(loaded, name)
            if isinstance(cls, type) and issubclass(cls, StrEnum):
                for member in cls:
                    if CODE.match(member.value):
                        found[member.value] = f"{module}.{name}"
    return found


def emitted_codes() -> dict[str, str]:
    codes = {code: str(path) for code, path in reason_codes_in_source().items()
             if path.parts[0] in PACKAGES or path.as_posix() in RECORD_MODULES}  # fmt: skip
    codes.update(enum_codes())
    return codes


def test_the_enumeration_sees_the_enums_and_the_constants():
    codes = emitted_codes()
    assert len(codes) > 200
    assert {q.value for q in QualityIssue} <= codes.keys()
    assert {f.value for f in LivenessFailure} <= codes.keys()
    assert "DRV_SAM_CARD_REMOVED" in codes and "STORE_QUOTA_REACHED" in codes


def missing(codes: dict[str, str]) -> list[str]:
    gaps = []
    for code, where in sorted(codes.items()):
        entry = REASONS.get(code)
        if entry is None:
            gaps.append(f"{code} ({where}): not in the registry")
            continue
        for language in LANGUAGES:
            for part in ("text", "spoken", "next_step"):
                if not getattr(entry, part).in_language(language).strip():
                    gaps.append(f"{code} ({where}): no {part} in {language}")
    return gaps


def test_every_face_hint_the_camera_sends_has_its_own_words():
    """The face screen's hints are the quality and liveness codes, exactly as kiosk/idv
    sends them (not a spelling the screen expects)."""
    hints = {q.value: "kiosk.idv.quality" for q in QualityIssue}
    hints |= {f.value: "kiosk.idv.liveness" for f in LivenessFailure}
    gaps = missing(hints)
    assert not gaps, "face hints without words:\n" + "\n".join(gaps)


def test_every_driver_code_has_its_own_words():
    """A reader's precise code gets its precise words, not "could not read"."""
    drivers = {c: w for c, w in emitted_codes().items() if c.startswith("DRV_")}
    gaps = missing(drivers)
    assert not gaps, f"{len(gaps)} gaps in driver codes:\n" + "\n".join(gaps)


def test_every_code_the_software_emits_has_text_voice_and_next_step_in_both_languages():
    gaps = missing(emitted_codes())
    assert not gaps, f"{len(gaps)} gaps:\n" + "\n".join(gaps)


def speak_calls() -> list[tuple[Path, ast.expr]]:
    """The flows name every prompt (the UI adds only the challenges, by their enum)."""
    calls = []
    for package in ("kiosk/flows", "kiosk/shell"):
        for path in sorted((REPO / package).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if (isinstance(node, ast.Call) and getattr(node.func, "id", None) == "Speak"
                        and node.args):  # fmt: skip
                    calls.append((path.relative_to(REPO), node.args[0]))
    return calls


def test_every_prompt_the_flows_speak_is_named_and_has_words_in_both_languages():
    calls = speak_calls()
    assert len(calls) > 8  # the scan itself works
    unreadable = [f"{path}:{arg.lineno} Speak({ast.unparse(arg)})" for path, arg in calls
                  if not isinstance(arg, ast.Constant)]  # fmt: skip
    assert not unreadable, "prompt names built at run time cannot be checked:\n" + "\n".join(
        unreadable
    )
    wanted = {arg.value for _, arg in calls if isinstance(arg, ast.Constant)}
    wanted |= {g.value for g in Gesture}  # the face job says each challenge by its name
    for language in LANGUAGES:
        silent = sorted(
            p for p in wanted
            if not (PROMPTS[p].in_language(language) if p in PROMPTS
                    else REASONS[p].spoken.in_language(language) if p in REASONS else "")
        )  # fmt: skip
        assert not silent, f"no spoken words in {language}: {silent}"


def test_no_reason_code_is_worded_in_qml():
    """The screens take their words from the registry; a code worded in QML would be a
    second, diverging copy (the one that showed every hint as "look straight ahead")."""
    texts = (REPO / "kiosk" / "ui" / "qml" / "Texts.qml").read_text(encoding="utf-8")
    copies = sorted({m for m in re.findall(r'"([A-Z]+_[A-Z0-9_]+)"', texts) if CODE.match(m)})
    assert not copies, f"codes worded in Texts.qml: {copies}"


def test_the_registry_words_no_code_that_nothing_emits():
    """A stale entry is a spelling the software does not send (``IDV_TOO_FAR`` where the
    camera sends ``IDV_FACE_TOO_FAR``): its words would never show."""
    stale = sorted(REASONS.keys() - emitted_codes().keys())
    assert not stale, f"registered but never emitted: {stale}"
