"""Device presence without touching the device: what the health daemon checks while the
kiosk runs.

While ``bdmi-kiosk`` is up it owns the camera and the readers. Opening them from another
process would do harm: most V4L2 drivers stream to one process at a time (the check would
fail and the kiosk could lose its picture), and a SAM status request on the same serial line
interleaves with the kiosk's own commands and breaks a read in progress. The kiosk's drivers
reconnect by themselves, so the daemon only looks: the camera's device node (or file), the
SAM reader's port, the PC/SC reader in pcscd's list (listing is shared and harmless). A
missing one is ``OPS_DEVICE_ABSENT``; test card reads are skipped (``OPS_DEVICE_IN_USE``),
and no recovery action is taken on a device the kiosk holds.
"""

from __future__ import annotations

from pathlib import Path

from kiosk.ops.check import Check, fail, ok, skipped
from kiosk.ops.context import CheckContext
from kiosk.ops.reader_checks import OPS_READER_NOT_CONFIGURED

OPS_DEVICE_ABSENT = "OPS_DEVICE_ABSENT"
OPS_DEVICE_IN_USE = "OPS_DEVICE_IN_USE"


def _node(name: str, path: str, what: str) -> Check:
    if Path(path).exists():  # follows symlinks: a dangling udev link is absent
        return ok(name, f"{what} {path} present (in use by bdmi-kiosk)", in_use=True)
    return fail(name, OPS_DEVICE_ABSENT, f"{what} {path} does not exist", in_use=True)


def check_presence(ctx: CheckContext) -> list[Check]:
    config = ctx.config
    found: list[Check] = []
    camera = config.camera
    if camera.kind in ("v4l2", "file") and not camera.source.isdigit():
        found.append(_node("camera", camera.source, "camera"))
    else:
        found.append(ok("camera", f"camera {camera.kind} in use by bdmi-kiosk", in_use=True))
    sam = config.readers.sam
    if sam is None:
        found.append(skipped("reader.sam", OPS_READER_NOT_CONFIGURED, "no [readers.sam]"))
    elif sam.kind == "serial" and sam.port != "auto":
        found.append(_node("reader.sam", sam.port, "SAM reader port"))
    else:
        found.append(ok("reader.sam", f"SAM reader ({sam.kind}) in use by bdmi-kiosk"))
    found.append(skipped("card.sam", OPS_DEVICE_IN_USE, "not read while bdmi-kiosk runs"))
    pcsc = config.readers.pcsc
    if pcsc is None:
        found.append(skipped("reader.pcsc", OPS_READER_NOT_CONFIGURED, "no [readers.pcsc]"))
    else:
        found.append(_pcsc_listed(pcsc.reader if pcsc.kind == "pcsc" else "Virtual PCD"))
    found.append(skipped("card.pcsc", OPS_DEVICE_IN_USE, "not read while bdmi-kiosk runs"))
    return found


def _pcsc_listed(wanted: str) -> Check:
    from smartcard.Exceptions import ListReadersException
    from smartcard.pcsc.PCSCExceptions import EstablishContextException
    from smartcard.System import readers

    try:
        names = [str(r) for r in readers()]
    except ListReadersException as exc:
        return fail("reader.pcsc", OPS_DEVICE_ABSENT, f"pcscd lists no readers: {exc}")
    except EstablishContextException as exc:  # pcscd is not running: no reader either
        return fail("reader.pcsc", OPS_DEVICE_ABSENT, f"pcscd does not answer: {exc}")
    if any(wanted in name for name in names):
        return ok("reader.pcsc", f"PC/SC reader {wanted or names[0]!r} listed by pcscd")
    return fail("reader.pcsc", OPS_DEVICE_ABSENT, f"no PC/SC reader matching {wanted!r} in {names}")
