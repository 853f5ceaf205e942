"""Disk space, store integrity and the audit chain: the three ways a kiosk loses results
without anyone noticing at the screen.

Disk reuses the store's own capacity policy (kiosk/store/capacity.py): when it says the store
refuses results, that is a ``fail`` with the store's code. The ``[health]`` thresholds warn
earlier, while there is still time to act. Integrity is SQLite's ``quick_check`` (or the full
``integrity_check``, ``health.integrity``) and SQLCipher's ``cipher_integrity_check``, which
checks every page's HMAC and so also catches a page changed on disk by anything but SQLCipher.
The audit chain is verified with kiosk/store/audit.py, the same code ``kioskctl audit
verify`` runs; its head is reported so the health daemon can publish it.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from kiosk.ops.check import Check, fail, ok, warn
from kiosk.ops.context import CheckContext
from kiosk.store.capacity import MIB
from kiosk.store.errors import StoreError

OPS_DISK_LOW = "OPS_DISK_LOW"
OPS_DISK_CRITICAL = "OPS_DISK_CRITICAL"
OPS_STORE_QUOTA_NEAR = "OPS_STORE_QUOTA_NEAR"
OPS_STORE_INTEGRITY = "OPS_STORE_INTEGRITY"


def _existing(path: Path) -> Path:
    """The nearest existing directory at or above ``path`` (the state dir may not exist)."""
    for candidate in (path, *path.parents):
        if candidate.exists():
            return candidate
    return Path("/")


def check_disk(ctx: CheckContext) -> Check:
    health = ctx.config.health
    state_dir = ctx.config.device.state_dir
    detail: dict[str, object] = {}
    capacity = None
    try:
        from kiosk.store.capacity import check_capacity

        capacity = check_capacity(ctx.store())
        free = capacity.free_bytes
        detail |= {
            "store_mb": round(capacity.store_bytes / MIB, 1),
            "quota_mb": capacity.quota_bytes // MIB,
        }
    except StoreError:  # the store check says why; the disk can still be measured
        free = shutil.disk_usage(_existing(state_dir)).free
    free_mb = free // MIB
    detail["free_mb"] = free_mb
    where = f"{free_mb} MiB free under {state_dir}"
    if capacity is not None and not capacity.ok:
        return fail("disk", capacity.status, f"{where}: {capacity.describe()}", **detail)
    if free_mb < health.disk_fail_free_mb:
        return fail(
            "disk",
            OPS_DISK_CRITICAL,
            f"{where}, under health.disk_fail_free_mb ({health.disk_fail_free_mb} MiB)",
            **detail,
        )
    if free_mb < health.disk_warn_free_mb:
        return warn(
            "disk",
            OPS_DISK_LOW,
            f"{where}, under health.disk_warn_free_mb ({health.disk_warn_free_mb} MiB)",
            **detail,
        )
    if capacity is not None:
        used = 100 * capacity.store_bytes / capacity.quota_bytes
        detail["quota_used_percent"] = round(used, 1)
        if used >= health.quota_warn_percent:
            return warn(
                "disk",
                OPS_STORE_QUOTA_NEAR,
                f"the store uses {used:.0f}% of store.quota_mb ({capacity.quota_bytes // MIB} "
                "MiB): results are not leaving (see sync)",
                **detail,
            )
    return ok("disk", where, **detail)


def check_store(ctx: CheckContext) -> Check:
    try:
        db = ctx.store()
    except StoreError as exc:
        return fail("store", exc.reason, str(exc.args[0]))
    pragma = "quick_check" if ctx.config.health.integrity == "quick" else "integrity_check"
    with db.bound():
        rows = [str(r[0]) for r in db.execute_sql(f"PRAGMA {pragma}").fetchall()]
        pages = [str(r) for r in db.connection().execute("PRAGMA cipher_integrity_check")]
    if rows != ["ok"]:
        return fail(
            "store", OPS_STORE_INTEGRITY, f"PRAGMA {pragma}: {'; '.join(rows[:5])}", pragma=pragma
        )
    if pages:
        return fail(
            "store",
            OPS_STORE_INTEGRITY,
            f"PRAGMA cipher_integrity_check: {'; '.join(pages[:5])}",
            pragma="cipher_integrity_check",
            bad_pages=len(pages),
        )
    return ok("store", f"{ctx.config.database_path} opens with its key; {pragma} ok", pragma=pragma)


def check_audit(ctx: CheckContext) -> Check:
    from kiosk.store.audit import verify_chain

    try:
        db = ctx.store()
    except StoreError as exc:
        return fail("audit", exc.reason, str(exc.args[0]))
    report = verify_chain(db)
    head = str(report.head) if report.head else None
    if not report.ok:
        return fail(
            "audit",
            report.reason or "AUDIT_CHAIN_BROKEN",
            f"entry {report.first_bad_seq}: {report.message}",
            first_bad_seq=report.first_bad_seq,
            entries_verified=report.entries,
        )
    return ok("audit", f"{report.entries} entries intact", entries=report.entries, head=head)
