"""A private Mosquitto broker with mutual TLS on a free loopback port.

Why this shape: the product talks MQTT v5 over mTLS with QoS 1 and relies on the broker's
persistence across restarts and on its ACL, so the tests need a real broker with exactly the
shipped settings: the configuration and ACL are rendered by ``edge_sync.gateway.broker_config``, as
``bdmi-gateway broker-config`` renders them for a site; only the paths, the port and the
``user`` line (below) are the harness's.

Privileges: run as root, Mosquitto drops to the user named by ``user`` (default ``mosquitto``)
*after* reading its configuration; from then on it must be able to open the persistence
database, the log file and the TLS key.  pytest's temp root (``/tmp/pytest-of-<user>``) is mode
0700, so chown-ing our files to ``mosquitto`` is not enough: that user cannot even traverse the
parent directory.  The harness therefore writes ``user <effective user>``: as root that is
``user root``, which Mosquitto documents as "do not drop privileges"; as a normal user the
option is ignored (no privilege change is possible) and every file already belongs to us.
Both cases behave the same and nothing outside the temp dir is touched.
"""

from __future__ import annotations

import os
import pwd
import signal
from pathlib import Path

from edge_sync.gateway.broker_config import BrokerSite, render_acl, render_config
from tests.harness.pki import CertPair, TestPki, issue_certificate
from tests.harness.ports import LOOPBACK, free_port, wait_for_port, wait_until
from tests.harness.process import ManagedProcess, ServiceStartError, log_tail, require_binary

_START_TIMEOUT = 15.0

GATEWAY_USERNAMES = tuple(f"bdmi-gateway-{name}" for name in ("a", "b", "fees", "reg", "monitor"))
"""The gateway role's certificate CNs in the harness broker's ACL: ``tests/sync/rig.py``
issues gateway certificates under these names, and tests that watch every device's topics
(``monitor``) take that role too. Any other CN is a device, confined to its own topics."""


class MosquittoBroker:
    """Mosquitto on ``127.0.0.1:<port>`` with a TLS listener that requires client certificates.

    ``stop()``/``start()`` keep the port, the configuration and the persistence directory, so
    fault tests can restart the broker and check that clients reconnect and queued QoS 1
    messages survive.
    """

    def __init__(
        self,
        workdir: Path,
        pki: TestPki,
        port: int | None = None,
        *,
        message_size_limit: int | None = None,
    ) -> None:
        """``message_size_limit`` overrides the shipped one: only for a test that plays a
        broker configured without it (a hostile or misconfigured broker)."""
        self.message_size_limit = message_size_limit
        self.binary = require_binary("mosquitto", "mosquitto")
        self.workdir = workdir
        self.pki = pki
        self.host = LOOPBACK
        self.port = port if port is not None else free_port()
        self.persistence_dir = workdir / "persistence"
        self.log_path = workdir / "mosquitto.log"
        self.console_path = workdir / "mosquitto.console.log"
        self.conf_path = workdir / "mosquitto.conf"
        self.acl_path = workdir / "mosquitto.acl"
        workdir.mkdir(parents=True, exist_ok=True)
        self.persistence_dir.mkdir(exist_ok=True)
        self.conf_path.write_text(self._config())
        self._process = ManagedProcess(
            "mosquitto",
            [self.binary, "-c", str(self.conf_path)],
            self.console_path,
            stop_signals=(signal.SIGTERM,),
        )

    # Paths a client needs -------------------------------------------------------------------
    @property
    def ca_cert(self) -> Path:
        """CA certificate that signed the broker's server certificate."""
        return self.pki.ca.cert

    @property
    def client(self) -> CertPair:
        """Default client identity (its CN becomes the MQTT username)."""
        return self.pki.client

    @property
    def client_cert(self) -> Path:
        """Default client certificate (PEM)."""
        return self.pki.client.cert

    @property
    def client_key(self) -> Path:
        """Default client private key (PEM, unencrypted)."""
        return self.pki.client.key

    def identity(self, common_name: str) -> CertPair:
        """A client certificate from the harness CA with this CN, which the broker takes as the
        username its ACL judges: a device id confines the client to that device's topics; a
        name of ``GATEWAY_USERNAMES`` gives it the gateway role. Issued once per CN."""
        directory = self.workdir / "identities"
        directory.mkdir(exist_ok=True)
        stem = common_name.replace("/", "_")
        pair = CertPair(directory / f"{stem}.pem", directory / f"{stem}.key")
        if not pair.cert.exists():
            pair = issue_certificate(self.pki.ca, directory, stem, common_name, server=False)
        return pair

    def _config(self) -> str:
        """The product's own broker configuration (``edge_sync.gateway.broker_config``, what
        ``bdmi-gateway broker-config`` writes for a site), with this harness's paths."""
        site = BrokerSite(
            ca_file=self.pki.ca.cert,
            cert_file=self.pki.server.cert,
            key_file=self.pki.server.key,
            acl_file=self.acl_path,
            persistence_dir=self.persistence_dir,
            gateway_usernames=GATEWAY_USERNAMES,
            port=self.port,
            host=self.host,
            log_dest=f"file {self.log_path}",
            run_as_user=pwd.getpwuid(os.geteuid()).pw_name,
            **(
                {"message_size_limit": self.message_size_limit}
                if self.message_size_limit is not None
                else {}
            ),
        )
        self.acl_path.write_text(render_acl(site.gateway_usernames), encoding="utf-8")
        return render_config(site)

    @property
    def running(self) -> bool:
        """True while the broker process lives."""
        return self._process.alive()

    def start(self) -> None:
        """Start (or restart) the broker on the same port and wait until it accepts TCP."""
        if self.running:
            return
        self._process.start()
        try:
            wait_for_port(self.port, self.host, _START_TIMEOUT, alive=self._process.alive)
            # A foreign process on the port would also accept: require our broker's own
            # "running" line (written after its listeners are bound) from this start.
            wait_until(
                self._logged_running,
                _START_TIMEOUT,
                "mosquitto 'running' log line",
                alive=self._process.alive,
            )
        except (TimeoutError, RuntimeError) as exc:
            error = self._process.failure(str(exc))
            self._process.stop()
            raise ServiceStartError(
                f"{error}\nlast lines of {self.log_path}:\n{log_tail(self.log_path)}"
            ) from exc

    def _logged_running(self) -> bool:
        current = self.log_text().rsplit(" starting", 1)[-1]
        return " running" in current

    def stop(self) -> None:
        """Graceful stop (SIGTERM): Mosquitto writes its persistence file before exiting."""
        self._process.stop()

    def kill(self) -> None:
        """Crash the broker (SIGKILL): only what autosave already wrote survives."""
        self._process.kill()

    def restart(self) -> None:
        """Stop, then start on the same port with the same persistence."""
        self.stop()
        self.start()

    def log_text(self) -> str:
        """Whole broker log, for assertions on connection/auth messages."""
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""
