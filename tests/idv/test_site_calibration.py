"""``kioskctl face calibrate DIR`` on a small real folder built from the shared CN celebrity
photos (a folder per person, in a temp dir), with the real dlib model, the demo config's
real encrypted store and its audit log; and the kiosk's own check when it loads a site
calibration (``kiosk.shell.factory.thresholds``).

Six people are far too few to vouch for 0.1% false accepts (3 / 240 impostor pairs is over
1%), so their calibration comes out looser than the shipped one: refused without
``--force``, written and audited with it."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import cv2
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kiosk.cli.main import main
from kiosk.config import ConfigError, load_config
from kiosk.idv.errors import IdvError
from kiosk.idv.matching import MatchMode, thresholds_for
from kiosk.idv.site_calibration import parse
from kiosk.shell.factory import thresholds
from kiosk.store.audit import verify_chain
from kiosk.store.database import open_from_config
from kiosk.store.models import AuditEntry
from tests.drivers.shared_data import require_shared_data

PEOPLE = 6


@pytest.fixture(scope="module")
def site_folder(tmp_path_factory) -> Path:
    source = require_shared_data("faces", "east_asian", "cn_celeb_nz29")
    root = tmp_path_factory.mktemp("site") / "staff"
    people = sorted(p for p in source.iterdir() if p.is_dir())[:PEOPLE]
    for n, person in enumerate(people):
        shutil.copytree(person, root / f"staff{n}")
    return root


def kioskctl(capsys, *args: str | Path) -> tuple[int, dict]:
    code = main(["face", "calibrate", *map(str, args), "--json", "--replicates", "100"])
    out = capsys.readouterr().out
    return code, json.loads(out)


def audit_entries(config_file: Path) -> list[AuditEntry]:
    db = open_from_config(load_config(config_file), create=True)
    try:
        with db.bound():
            return list(AuditEntry.select().order_by(AuditEntry.seq))
    finally:
        db.close()


def with_site_calibration(config_file: Path, path: Path) -> Path:
    text = config_file.read_text(encoding="utf-8")
    config_file.write_text(text + f'\n[idv.match]\nsite_calibration = "{path}"\n')
    return config_file


def test_a_small_site_set_is_refused_then_forced_and_audited(
    site_folder, demo_config_file, tmp_path, capsys
):
    out = tmp_path / "site_calibration.json"
    before = len(audit_entries(demo_config_file))

    code, report = kioskctl(capsys, site_folder, "--out", out, "--config", demo_config_file)
    assert code == 1
    assert report["error"]["reason"] == "IDV_CALIBRATION_LOOSER"
    assert "single" in report["looser_than_shipped"]
    single = report["operating_points"]["single"]
    assert single["accept_max"] > thresholds_for("dlib_resnet_v1").accept_max
    assert single["far_upper95"] > 0.001  # the honest bound of a 6-person set
    low, high = single["frr"]["ci95_identity_bootstrap"]
    assert 0 <= low <= single["frr"]["rate"] <= high <= 1
    assert not out.exists()
    assert len(audit_entries(demo_config_file)) == before  # nothing written, nothing audited

    code, report = kioskctl(
        capsys, site_folder, "--out", out, "--config", demo_config_file,
        "--force", "--technician", "tech-007",
    )  # fmt: skip
    assert code == 0, report
    written = json.loads(out.read_text())
    assert written["forced"] is True and written["people"] == PEOPLE
    assert "staff0" not in out.read_text()  # no folder (person) name in the file
    entries = audit_entries(demo_config_file)
    assert len(entries) == before + 1
    entry = entries[-1]
    assert (entry.actor_kind, entry.actor_id, entry.action) == (
        "technician", "tech-007", "site_calibration_forced",
    )  # fmt: skip
    detail = json.loads(entry.detail)
    assert detail["forced"] is True and "single" in detail["looser_modes"]
    assert detail["accept_max_u"]["single"] == round(single["accept_max"] * 1e6)
    db = open_from_config(load_config(demo_config_file))
    try:
        assert verify_chain(db).ok
    finally:
        db.close()

    # The kiosk runs with the forced file, at the site's thresholds...
    config = load_config(with_site_calibration(demo_config_file, out))
    assert thresholds(config)(MatchMode.SINGLE).accept_max == single["accept_max"]
    photos = sorted((site_folder / "staff0").iterdir())[:2]
    main(["face", "compare", *map(str, photos), "--config", str(demo_config_file), "--json"])
    compared = json.loads(capsys.readouterr().out)
    assert compared["accept_max"] == single["accept_max"]
    # ...but not with the same file unforced (someone copied or edited it).
    written["forced"] = False
    out.write_text(json.dumps(written))
    with pytest.raises(IdvError) as refused:
        thresholds(config)  # the file changed after the kiosk checked its config
    assert refused.value.reason == "IDV_CALIBRATION_LOOSER"
    # and a kiosk starting with it stops at the config check, naming the reason
    with pytest.raises(ConfigError) as invalid:
        load_config(demo_config_file)
    assert [i.key for i in invalid.value.issues] == ["idv.match"]
    assert "IDV_CALIBRATION_LOOSER" in invalid.value.issues[0].message


def test_force_without_an_audit_trail_is_refused(site_folder, tmp_path, capsys):
    code, report = kioskctl(capsys, site_folder, "--out", tmp_path / "x.json", "--force")
    assert code == 2 and report["error"]["reason"] == "IDV_CALIBRATION_FORCE_UNAUDITED"


def test_a_tighter_site_calibration_needs_no_force(demo_config_file, tmp_path):
    shipped = {m: thresholds_for("dlib_resnet_v1", m) for m in MatchMode}
    site = {
        "kind": "bdmi-site-calibration", "version": 1, "model": "dlib_resnet_v1",
        "forced": False,
        "operating_points": {"single": {"accept_max": 0.30, "refer_max": 0.49,
                                        "far_upper95": 0.02}},
    }  # fmt: skip
    path = tmp_path / "tight.json"
    path.write_text(json.dumps(site))
    config = load_config(with_site_calibration(demo_config_file, path))
    for_mode = thresholds(config)
    assert for_mode(MatchMode.SINGLE).accept_max == 0.30
    # Modes the site did not measure keep the shipped point.
    assert for_mode(MatchMode.BOTH_FUSED) == shipped[MatchMode.BOTH_FUSED]


@pytest.mark.parametrize(
    "text",
    ["{", "[]", '{"kind": "bdmi-site-calibration", "version": 1, "model": "other"}',
     '{"kind": "bdmi-site-calibration", "version": 1, "model": "dlib_resnet_v1", '
     '"operating_points": {"single": {"accept_max": 0.5, "refer_max": 0.4, '
     '"far_upper95": 0}}}',
     '{"kind": "bdmi-site-calibration", "version": 1, "model": "dlib_resnet_v1", '
     '"operating_points": {"sideways": {"accept_max": 0.3, "refer_max": 0.4, '
     '"far_upper95": 0}}}'],
)  # fmt: skip
def test_a_broken_site_file_is_refused_with_a_reason(demo_config_file, tmp_path, text):
    path = tmp_path / "broken.json"
    path.write_text(text)
    with pytest.raises(ConfigError) as invalid:
        load_config(with_site_calibration(demo_config_file, path))
    assert invalid.value.issues[0].message.startswith("IDV_CALIBRATION_INVALID: ")


def test_a_one_value_override_may_only_tighten(demo_config_file):
    text = demo_config_file.read_text(encoding="utf-8")
    demo_config_file.write_text(text + "\n[idv.match]\naccept_max_distance = 0.385\n")
    with pytest.raises(ConfigError) as invalid:
        load_config(demo_config_file)
    message = invalid.value.issues[0].message
    assert message.startswith("IDV_CALIBRATION_LOOSER: ") and "both_fused" in message
    demo_config_file.write_text(text + "\n[idv.match]\naccept_max_distance = 0.30\n")
    assert thresholds(load_config(demo_config_file))(MatchMode.BOTH_FUSED).accept_max == 0.30


def test_a_missing_site_file_is_refused_with_a_reason(demo_config_file, tmp_path):
    with pytest.raises(ConfigError) as invalid:
        load_config(with_site_calibration(demo_config_file, tmp_path / "absent.json"))
    assert invalid.value.issues[0].message.startswith("IDV_CALIBRATION_INVALID: ")


def write_blank(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(path), np.full((120, 120, 3), 200, np.uint8))


def test_bad_folders_get_a_reason_and_exit_1_without_a_traceback(site_folder, tmp_path, capsys):
    out = tmp_path / "never.json"
    one = tmp_path / "one"
    shutil.copytree(next(site_folder.iterdir()), one / "only_person")
    unreadable = tmp_path / "unreadable"
    for person in ("a", "b"):
        (unreadable / person).mkdir(parents=True)
        (unreadable / person / "photo.jpg").write_bytes(b"\xff\xd8 not a jpeg")
    faceless = tmp_path / "faceless"
    for person in ("a", "b"):
        write_blank(faceless / person / "wall.png")
    singles = tmp_path / "one_photo_each"
    for person in ("staff0", "staff1"):
        (singles / person).mkdir(parents=True)
        photo = sorted((site_folder / person).iterdir())[0]
        shutil.copy(photo, singles / person / photo.name)
    cases = {
        tmp_path / "missing": "IDV_CALIBRATION_NO_FOLDER",
        singles: "IDV_CALIBRATION_NO_GENUINE",
        one: "IDV_CALIBRATION_TOO_FEW_PEOPLE",
        unreadable: "IDV_IMAGE_UNREADABLE",
        faceless: "IDV_CALIBRATION_NO_FACES",
    }
    for folder, reason in cases.items():
        code, report = kioskctl(capsys, folder, "--out", out)
        assert (code, report["error"]["reason"]) == (1, reason), folder
        assert not report["error"]["message"].startswith(reason)  # said once, not twice
    assert not out.exists()


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.floats()
    | st.integers()
    | st.just(10**400)
    | st.text(max_size=9),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=20,
)
point = st.fixed_dictionaries(
    {"accept_max": json_values | st.floats(0, 2), "refer_max": json_values | st.floats(0, 2),
     "far_upper95": json_values | st.floats(0, 1)}
)  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(
    st.text(max_size=200)
    | st.builds(json.dumps, json_values)
    | st.builds(
        lambda points, forced: json.dumps({
            "kind": "bdmi-site-calibration", "version": 1, "model": "dlib_resnet_v1",
            "operating_points": points, "forced": forced,
        }),
        st.dictionaries(st.sampled_from(["single", "probe_fused", "both_fused", "x"]), point),
        json_values,
    )
)  # fmt: skip
def test_the_site_file_parser_accepts_only_sane_points_and_fails_with_a_reason(text):
    try:
        site = parse(text, "dlib_resnet_v1")
    except IdvError as exc:
        assert exc.reason == "IDV_CALIBRATION_INVALID"
        return
    assert site.points and isinstance(site.forced, bool)
    for p in site.points.values():
        assert 0 < p.accept_max <= p.refer_max < 2 and 0 <= p.far_upper95 <= 1
