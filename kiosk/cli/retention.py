"""``kioskctl retention run``: one round of the store's retention policy.

Why a command and a timer (``systemd/bdmi-retention.timer``) rather than a loop inside the kiosk
or the sync agent: retention must run on a kiosk whose sync is switched off (a site without a
network) and while the touch application is down for repair, and a oneshot run leaves one line
in the journal and one audit entry each time, which is how a technician sees that it runs.

    kioskctl retention run [--config FILE] [--json]
"""

from __future__ import annotations

import argparse
import time

from kiosk.cli.output import EXIT_BAD, EXIT_OK, EXIT_USAGE, emit
from kiosk.config import check_config, resolve_path


def register(subparsers: argparse._SubParsersAction) -> None:
    retention = subparsers.add_parser(
        "retention", help="delete what the retention policy says is due (run by a timer)"
    )
    actions = retention.add_subparsers(dest="action", required=True, metavar="ACTION")
    run = actions.add_parser(
        "run",
        help="one round: expired personal data and templates, results anchored long enough",
    )
    run.add_argument("--config", help="kiosk config (default: as the kiosk)")
    run.add_argument("--json", action="store_true", help="machine-readable output")
    run.set_defaults(handler=_run)


def _run(args: argparse.Namespace) -> int:
    from kiosk.store.database import open_from_config
    from kiosk.store.errors import StoreError
    from kiosk.store.retention import RetentionPolicy, purge

    path = resolve_path(args.config)
    config, issues = check_config(path)
    errors = [i for i in issues if i.severity == "error"]
    if config is None or errors:
        first = (errors or issues)[0]
        failure = {"ok": False, "reason": first.reason, "message": first.format(str(path))}
        emit(args.json, failure, [f"{first.reason}: {first.format(str(path))}"])
        return EXIT_USAGE
    try:
        db = open_from_config(config)
    except StoreError as error:
        failure = {"ok": False, "reason": error.reason, "message": str(error.args[0])}
        emit(args.json, failure, [f"{error.reason}: {error.args[0]}"])
        return EXIT_BAD
    try:
        policy = RetentionPolicy(
            keep_anchored_days=config.store.keep_anchored_days,
            keep_refused_his_days=config.his.keep_refused_days if config.his else 14,
        )
        report = purge(db, int(time.time() * 1000), policy)
    finally:
        db.close()
    done = {"ok": True, **report.as_detail(), "keep_anchored_days": policy.keep_anchored_days}
    line = (
        f"retention: deleted {report.personal_records} personal record(s), "
        f"{report.templates} expired template(s), {report.results} result(s) anchored over "
        f"{policy.keep_anchored_days} days ago, {report.his_messages} refused HIS message(s)"
    )
    emit(args.json, done, [line])
    return EXIT_OK
