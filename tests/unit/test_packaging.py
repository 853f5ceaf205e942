"""The package installs and runs from its own dependency list, as it does on the appliance.

Why this test exists: the development venv holds the dev extras and their dependencies, so a module
that the code imports but ``pyproject.toml`` never declares still imports there, and only fails on
the appliance (``kioskctl --help`` once died with ``No module named 'tomlkit'``). Here the built
wheel is installed with the pinned constraints into a clean venv without the dev extras, exactly as
``images/build.sh`` does, and every module of the package is imported.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PACKAGES = ("kiosk", "drivers", "edge_sync", "contracts")
ENTRY_POINTS = ("bdmi-kiosk", "kioskctl", "bdmi-sync", "bdmi-gateway", "bdmi-health")

# The contract sources are neo3-boa programs: they are compiled to NEF by contracts.build (with
# the dev-only compiler), never imported by the product, and importing them needs neo3-boa.
CONTRACT_SOURCES = ("data_registry", "idv_registry", "settlement", "test_token")

IMPORT_ALL = textwrap.dedent(
    """
    import importlib, json, pkgutil, sys
    packages, skip = sys.argv[1].split(","), set(sys.argv[2].split(","))
    failures, count = {}, 0
    for name in packages:
        package = importlib.import_module(name)
        for info in pkgutil.walk_packages(package.__path__, name + "."):
            if info.name in skip:
                continue
            count += 1
            try:
                importlib.import_module(info.name)
            except Exception as exc:
                failures[info.name] = f"{type(exc).__name__}: {exc}"
    print(json.dumps({"imported": count, "failures": failures}))
    """
)


def _run(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        args,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=280,
        env={"PATH": "/usr/bin:/bin", "HOME": str(Path.home()), "QT_QPA_PLATFORM": "offscreen"},
    )


@pytest.fixture(scope="module")
def clean_venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The built wheel with its pinned dependencies, and nothing else, in a fresh venv."""
    work = tmp_path_factory.mktemp("packaging")
    # Built from a copy: setuptools writes build/ and *.egg-info next to the source, and a
    # build/ left over from an older tree would put modules that no longer exist in the wheel.
    source = work / "source"
    shutil.copytree(
        REPO,
        source,
        ignore=shutil.ignore_patterns(
            ".git", ".venv*", "build", "*.egg-info", "__pycache__", ".*_cache", "docs", "mkosi.*"
        ),
    )
    built = _run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(work / "dist"), "."],
        source,
    )
    assert built.returncode == 0, built.stderr
    wheels = list((work / "dist").glob("bdmi_kiosk-*.whl"))
    assert len(wheels) == 1, wheels
    venv = work / "venv"
    made = _run([sys.executable, "-m", "venv", str(venv)], work)
    assert made.returncode == 0, made.stderr
    installed = _run(
        [
            str(venv / "bin" / "python"),
            "-m",
            "pip",
            "install",
            "-q",
            "--disable-pip-version-check",
            "-c",
            str(REPO / "constraints.txt"),
            str(wheels[0]),
        ],
        work,
    )
    assert installed.returncode == 0, installed.stderr[-4000:]
    return venv


def test_every_module_imports_from_the_declared_dependencies(clean_venv: Path) -> None:
    skip = ",".join(f"contracts.{name}" for name in CONTRACT_SOURCES)
    # Run from an empty directory, so the checkout itself is not on the path.
    result = _run(
        [str(clean_venv / "bin" / "python"), "-c", IMPORT_ALL, ",".join(PACKAGES), skip],
        clean_venv,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    report = __import__("json").loads(result.stdout)
    assert report["failures"] == {}
    assert report["imported"] > 150  # the whole package was walked, not an empty install


def test_dev_tools_are_not_in_the_product_install(clean_venv: Path) -> None:
    """Proves the venv above is the product's alone: were the dev extras in it, the import test
    could not catch a module that only a dev tool brings in."""
    result = _run(
        [str(clean_venv / "bin" / "python"), "-c", "import pytest"],
        clean_venv,
    )
    assert result.returncode != 0
    assert "No module named 'pytest'" in result.stderr


@pytest.mark.parametrize("command", ENTRY_POINTS)
def test_every_entry_point_starts(clean_venv: Path, command: str) -> None:
    result = _run([str(clean_venv / "bin" / command), "--help"], clean_venv)
    assert result.returncode == 0, result.stderr[-4000:]
    assert "usage" in result.stdout.lower()
