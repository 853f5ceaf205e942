"""Writing and wiping provisioning files: atomically, with the right mode, and never over a
file that must not be replaced.

Why atomic (temporary file, fsync, rename): a power cut during provisioning must leave either
the old file or the new one, never half a certificate that makes the next run's "already done"
check lie. Why ``shred`` before unlinking a secret: on a plain file system the blocks would
otherwise keep the key until reused; on flash and journaling file systems overwriting is only
best effort, which is why deprovisioning also relies on deleting the store key (crypto-erase).
"""

from __future__ import annotations

import os
from pathlib import Path


def write_atomic(path: Path, data: bytes, mode: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_name(f".{path.name}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_new(path: Path, data: bytes, mode: int) -> None:
    """Create ``path``; ``FileExistsError`` when it exists (a secret is never replaced)."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


def shred(path: Path) -> bool:
    """Overwrite with random bytes, fsync, unlink. Whether there was a file."""
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        return False
    if path.is_file() and size:
        with path.open("r+b") as handle:
            handle.write(os.urandom(size))
            handle.flush()
            os.fsync(handle.fileno())
    path.unlink()
    return True


def hand_over(paths: list[Path], state_dir: Path) -> None:
    """Run as root (the first-boot unit), give what provisioning made to the kiosk's user:
    the owner of the state directory (``bdmi``, made by tmpfiles). A no-op otherwise."""
    if os.geteuid() != 0 or not state_dir.exists():
        return
    owner = state_dir.stat()
    if owner.st_uid == 0:
        return
    for path in paths:
        if path.exists():
            os.chown(path, owner.st_uid, owner.st_gid, follow_symlinks=False)
