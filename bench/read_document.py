"""Benchmark: a full ePassport read through the real pcscd, APDUs and wall time.

Starts a private pcscd with the vpcd driver (tests/harness/pcscd.py), puts the emulated
specimen passport behind it and reads it with ``PcscPassportReader``, for a chip limited
to short APDUs (max Le 0xE7) and for an extended-length chip. Prints JSON: per chip the
APDU count, the minimum for those file sizes given the chip's max Le (BAC's three
commands, then per file one SELECT and ceil(size / max Le) READ BINARY), the Le that
worked, and the wall time of each read (median of ``--repeat``). The reads repeat on one
reader, so from the second on the chip's working Le is remembered (no extended probe on
the short chip). Two more short chips have DG15 and run Active Authentication (ECDSA P-256,
RSA-1024), to show what it costs.

    .venv/bin/python -m bench.read_document [--repeat 5]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from drivers.emrtd.reader import PcscPassportReader  # noqa: E402
from drivers.simulators.emrtd_chip import EXTENDED_MAX_LE, SHORT_MAX_LE  # noqa: E402
from drivers.simulators.test_passport import generate_test_passport  # noqa: E402
from drivers.simulators.vicc import VirtualICC  # noqa: E402
from tests.harness.pcscd import PcscdVpcd  # noqa: E402


def minimum_apdus(sizes: list[int], max_le: int) -> int:
    return 3 + sum(1 + -(-size // max_le) for size in sizes)


def run_chip(
    daemon: PcscdVpcd, trust_dir: Path, max_le: int, repeat: int, aa: str | None = None
) -> dict:
    """``aa``: None for the specimen without DG15, "ec" or "rsa" for one whose chip runs
    Active Authentication (one INTERNAL AUTHENTICATE more, and DG14 for "ec")."""
    passport = generate_test_passport(0, with_dg15=aa is not None, aa_algorithm=aa or "ec")
    chip = passport.chip(max_le=max_le)
    icc = VirtualICC(chip, daemon.vpcd_port)
    times: list[float] = []
    counts: list[int] = []
    result = None
    with PcscPassportReader(daemon.reader_name, csca_dir=trust_dir) as reader:
        reader.wait_for_removal(10.0)
        icc.insert()
        try:
            if not reader.wait_for_card(10.0):
                raise RuntimeError("the virtual card never appeared")
            reader.set_access_key(passport.mrz_information)
            for _ in range(repeat):
                start = time.perf_counter()
                result = reader.read_chip()
                times.append(time.perf_counter() - start)
                counts.append(result.apdu_count)
        finally:
            icc.stop()
    assert result is not None
    sizes = [len(data) for data in result.files.values()]
    minimum = minimum_apdus(sizes, max_le) + (1 if aa else 0)
    return {
        "chip_max_le": max_le,
        "extended_length": chip.extended_length,
        "files": {name: len(data) for name, data in result.files.items()},
        "apdus_first_read": counts[0],
        "apdus_per_read": counts,
        "apdus_minimum": minimum,
        "apdus_over_minimum_ratio": round(counts[-1] / minimum, 3),
        "read_binary": result.read_binary_count,
        "le_used": result.le,
        "passive_authentication": result.chip_authentication.value,
        "active_authentication": result.active_authentication.value,
        "wall_time_s_median": round(statistics.median(times), 4),
        "wall_time_s_all": [round(t, 4) for t in times],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-pcscd-", dir="/tmp") as tmp:
        workdir = Path(tmp)
        daemon = PcscdVpcd(workdir / "pcscd")
        daemon.start()
        daemon.export_to_process()  # before the first PC/SC call of this process
        try:
            trust_dir = workdir / "csca"
            generate_test_passport(0).write_csca(trust_dir)
            report = {
                "benchmark": "emrtd_full_read_via_pcscd",
                "transport": "pyscard -> pcscd -> vpcd -> VirtualICC -> EmrtdChip",
                "short_le_chip": run_chip(daemon, trust_dir, SHORT_MAX_LE, args.repeat),
                "extended_length_chip": run_chip(daemon, trust_dir, EXTENDED_MAX_LE, args.repeat),
                "short_le_chip_aa_ecdsa_p256": run_chip(
                    daemon, trust_dir, SHORT_MAX_LE, args.repeat, "ec"
                ),
                "short_le_chip_aa_rsa1024": run_chip(
                    daemon, trust_dir, SHORT_MAX_LE, args.repeat, "rsa"
                ),
            }
        finally:
            daemon.stop()
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
