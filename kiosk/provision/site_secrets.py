"""The site's secrets on the device: the store key (made here, once) and the site key
(brought by the technician, the same file at every kiosk of a site).

Why the site key is never generated here: ``subject_ref`` is an HMAC under it, and the same
person must get the same reference at every kiosk of the site; a kiosk with a key of its own
would silently split a pensioner's history in two. Why neither is ever replaced: a replaced
store key makes the store unreadable, a replaced site key changes every pseudonym.
"""

from __future__ import annotations

from pathlib import Path

from kiosk.provision.errors import ProvisionError
from kiosk.provision.files import write_new
from kiosk.security.errors import SecurityError
from kiosk.security.subject import read_site_key
from kiosk.store.errors import StoreError
from kiosk.store.key import create_key_file, load_key


def ensure_store_key(path: Path) -> bool:
    """Whether a key was created; an existing one is checked, never replaced."""
    try:
        if path.exists():
            load_key(path)
            return False
        create_key_file(path)
    except StoreError as exc:
        raise ProvisionError(str(exc), reason="PROV_STORE_KEY_INVALID") from None
    return True


def ensure_site_key(path: Path, source: Path | None) -> bool:
    """Whether the site key was installed from ``source``."""
    if path.exists():
        try:
            installed = read_site_key(path)
        except SecurityError as exc:
            raise ProvisionError(str(exc), reason="PROV_SITE_KEY_INVALID") from None
        if source is not None and _read(source) != installed:
            raise ProvisionError(
                f"{path} holds another site key than {source}: a site key is never replaced "
                "(every pseudonym would change); deprovision the device first if it moves site",
                reason="PROV_SITE_KEY_CONFLICT",
            )
        return False
    if source is None:
        raise ProvisionError(
            f"no site key at {path}: give the site's key file with --site-key (the same file "
            "at every kiosk of the site)",
            reason="PROV_SITE_KEY_MISSING",
        )
    key = _read(source)
    write_new(path, key + b"\n", 0o600)
    return True


def _read(source: Path) -> bytes:
    try:
        return read_site_key(source)
    except SecurityError as exc:
        raise ProvisionError(f"{source}: {exc}", reason="PROV_SITE_KEY_INVALID") from None
    except OSError as exc:
        raise ProvisionError(
            f"cannot read {source}: {exc.strerror}", reason="PROV_SITE_KEY_INVALID"
        ) from None
