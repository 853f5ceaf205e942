"""``kioskctl provision`` and ``kioskctl deprovision``: the technician's commands.

Progress goes to stderr, one line per step (``[3/7] client certificate ... ok: ...``); the
final report to stdout (``--json`` for scripts). At the first-boot prompt (``bdmi-firstboot``
runs ``kioskctl provision --config /etc/bdmi-kiosk/kiosk.toml`` on tty1 with nothing else)
every missing answer is asked for; without a terminal a missing answer is a usage error.
Exit codes: 0 ok, 1 a step failed (its ``PROV_*`` reason is printed), 2 usage.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

from kiosk.cli.output import EXIT_BAD, EXIT_OK, EXIT_USAGE
from kiosk.config import resolve_path
from kiosk.provision.errors import ProvisionError
from kiosk.provision.steps import Options, provision
from kiosk.provision.wipe import WipeOptions, deprovision

_TECHNICIAN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$")
_SITE = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}$")


class _Usage(Exception):
    pass


def register(sub: argparse._SubParsersAction) -> None:
    prov = sub.add_parser(
        "provision",
        help="device key, certificate, site secrets and config, registration with the gateway",
        description="Idempotent: a second run reports every step as already done. "
        "docs/operations.md, 'Provision a device'.",
    )
    prov.add_argument("--config", help="kiosk.toml to merge into (default /etc/bdmi-kiosk/...)")
    prov.add_argument("--site", help="site id (lower-case letters, digits, dashes)")
    prov.add_argument(
        "--broker",
        "--gateway",
        dest="broker",
        metavar="HOST[:PORT]",
        help="the site's MQTT broker the gateway listens on (port 8883 unless given)",
    )
    prov.add_argument("--site-ca-cert", type=Path, help="the site CA certificate (PEM)")
    prov.add_argument("--site-ca-key", type=Path, help="the site CA private key (PEM, on USB)")
    prov.add_argument("--import-cert", type=Path, help="a certificate issued for this CSR")
    prov.add_argument("--ca-file", type=Path, help="CA bundle to trust (default: --site-ca-cert)")
    prov.add_argument("--site-key", type=Path, help="the site key file (same at every kiosk)")
    prov.add_argument("--technician", metavar="ID", help="your technician id, for the audit log")
    prov.add_argument("--timeout", type=float, default=60.0, help="seconds to wait for the gateway")
    prov.add_argument("--json", action="store_true", help="machine-readable report on stdout")
    prov.set_defaults(handler=_provision)

    wipe = sub.add_parser(
        "deprovision",
        help="wipe the device keys, certificates, secrets and the store (personal data)",
        description="docs/operations.md, 'Deprovision a device'.",
    )
    wipe.add_argument("--config", help="kiosk.toml (default /etc/bdmi-kiosk/kiosk.toml)")
    wipe.add_argument("--yes", action="store_true", help="do not ask (needed without a terminal)")
    wipe.add_argument("--force", action="store_true", help="wipe even unsynced results")
    wipe.add_argument("--technician", metavar="ID", help="your technician id, for the audit log")
    wipe.add_argument("--json", action="store_true", help="machine-readable report on stdout")
    wipe.set_defaults(handler=_deprovision)


def _interactive() -> bool:
    return sys.stdin.isatty()


def _ask(question: str, default: str | None = None) -> str:
    shown = f" [{default}]" if default else ""
    print(f"{question}{shown}: ", end="", file=sys.stderr, flush=True)
    answer = sys.stdin.readline().strip()
    return answer or default or ""


def _need(value: str | None, option: str, question: str) -> str:
    if value:
        return value
    if not _interactive():
        raise _Usage(f"{option} is required (no terminal to ask on)")
    answer = _ask(question)
    if not answer:
        raise _Usage(f"{option} is required")
    return answer


def _path_or_ask(value: Path | None, question: str) -> Path | None:
    if value is not None or not _interactive():
        return value
    answer = _ask(question)
    return Path(answer) if answer else None


def _broker(text: str | None) -> tuple[str | None, int | None]:
    if not text:
        return None, None
    host, sep, port = text.rpartition(":")
    if not sep:
        return text, None
    if not port.isdigit() or not 0 < int(port) < 65536:
        raise _Usage(f"--broker {text}: the port must be a number from 1 to 65535")
    return host, int(port)


def _options(args: argparse.Namespace) -> Options:
    technician = _need(args.technician, "--technician", "your technician id")
    if not _TECHNICIAN.match(technician):
        raise _Usage("--technician takes your technician id (letters, digits, . _ - @)")
    if args.site is not None and not _SITE.match(args.site):
        raise _Usage(f"--site {args.site!r}: lower-case letters, digits and dashes")
    if args.import_cert and (args.site_ca_cert or args.site_ca_key):
        raise _Usage("give either --site-ca-cert and --site-ca-key, or --import-cert")
    if bool(args.site_ca_cert) != bool(args.site_ca_key):
        raise _Usage("--site-ca-cert and --site-ca-key go together")
    site_ca = (args.site_ca_cert, args.site_ca_key) if args.site_ca_cert else None
    import_cert = args.import_cert
    if _interactive() and site_ca is None and import_cert is None:
        ca_cert = _path_or_ask(
            None,
            "site CA certificate (PEM; empty to import a certificate or keep the installed one)",
        )
        if ca_cert is not None:
            site_ca = (ca_cert, Path(_need(None, "--site-ca-key", "site CA key (PEM)")))
        else:
            import_cert = _path_or_ask(None, "certificate to import (empty: keep the installed)")
    site = args.site
    broker = args.broker
    if _interactive():
        site = site or _ask("site id (empty: keep the configured)") or None
        broker = broker or _ask("broker HOST[:PORT] (empty: keep the configured)") or None
    host, port = _broker(broker)
    if args.timeout <= 0:
        raise _Usage("--timeout must be positive")
    return Options(
        config_path=resolve_path(args.config),
        technician=technician,
        site=site,
        broker_host=host,
        broker_port=port,
        site_ca=site_ca,
        import_cert=import_cert,
        ca_file=args.ca_file,
        site_key=_path_or_ask(args.site_key, "site key file (empty: keep the installed)"),
        timeout_s=args.timeout,
    )


def _progress(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def _provision(args: argparse.Namespace) -> int:
    try:
        options = _options(args)
    except _Usage as exc:
        print(f"kioskctl provision: PROV_USAGE: {exc}", file=sys.stderr)
        return EXIT_USAGE
    report = provision(options, _progress)
    result = report.as_dict()
    if result["reason"] == "PROV_USAGE":
        print(f"kioskctl provision: {result['steps'][-1]['message']}", file=sys.stderr)
        return EXIT_USAGE
    if args.json:
        print(json.dumps(result, indent=2))
    elif report.ok:
        print(f"provisioned: device {report.device_id} at site {report.site}")
    else:
        failed = result["steps"][-1]
        print(
            f"provisioning FAILED at '{failed['step']}': {failed['reason']}: "
            f"{failed['message']} (docs/operations.md, 'Provision a device')"
        )
    return EXIT_OK if report.ok else EXIT_BAD


def _deprovision(args: argparse.Namespace) -> int:
    path = resolve_path(args.config)
    try:
        technician = _need(args.technician, "--technician", "your technician id")
        if not _TECHNICIAN.match(technician):
            raise _Usage("--technician takes your technician id (letters, digits, . _ - @)")
        if not args.yes:
            if not _interactive():
                print(
                    "kioskctl deprovision: PROV_CONFIRM_REQUIRED: no terminal to confirm on: "
                    "give --yes",
                    file=sys.stderr,
                )
                return EXIT_USAGE
            answer = _ask("this wipes the device key, certificates and the store; type 'wipe'")
            if answer != "wipe":
                print(
                    "kioskctl deprovision: PROV_CONFIRM_REQUIRED: not confirmed; nothing changed",
                    file=sys.stderr,
                )
                return EXIT_USAGE
    except _Usage as exc:
        print(f"kioskctl deprovision: PROV_USAGE: {exc}", file=sys.stderr)
        return EXIT_USAGE
    try:
        record = deprovision(WipeOptions(path, technician, args.force), _progress)
    except ProvisionError as exc:
        print(f"kioskctl deprovision: {exc.reason}: {exc}", file=sys.stderr)
        if args.json:
            print(json.dumps({"ok": False, "reason": exc.reason, "message": str(exc)}))
        return EXIT_BAD
    if args.json:
        print(json.dumps(record, indent=2))
    else:
        print(
            f"deprovisioned: device {record['device_id']}, {len(record['wiped'])} files "
            "wiped; the record (kept in <state_dir>/deprovisioned.jsonl):"
        )
        print(json.dumps(record, sort_keys=True))
    return EXIT_OK
