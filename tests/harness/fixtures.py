"""pytest fixtures that start real services for the integration tests.

Load with ``pytest_plugins = ["tests.harness.fixtures"]`` (or ``-p tests.harness.fixtures``).

Design rules:

* Services are session-scoped (start-up is paid once) and live on free loopback ports in
  pytest's temp dir; teardown always stops them, and ``tests.harness.process`` kills leftovers
  at interpreter exit if pytest is interrupted.
* A service that cannot start makes the test *fail* (error at setup) with the reason -- missing
  binary/package, exit status, tail of the service log -- it never skips: a silently skipped
  integration suite is worse than a red one.
* The public fixtures are function-scoped views of the session services that make sure the
  service is running before and after each test, so a fault test that stops a broker or node
  and then fails cannot break the tests after it.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Protocol

import pytest

from tests.harness.mosquitto import MosquittoBroker
from tests.harness.neogo import NeoGoNode
from tests.harness.pcscd import SOCKET_ENV, PcscdVpcd
from tests.harness.pki import TestPki, create_test_pki
from tests.harness.postgres import PostgresServer
from tests.harness.process import ServiceStartError
from tests.harness.xvfb import XvfbServer


class _Service(Protocol):
    def start(self) -> None: ...

    def stop(self) -> None: ...


@contextlib.contextmanager
def _session_service[S: _Service](make: Callable[[], S]) -> Iterator[S]:
    """Build, start, hand out and always stop one service; failing (never skipping) with the
    service's own diagnosis when it cannot be built or started."""
    service: S | None = None
    try:
        try:
            service = make()
        except ServiceStartError as exc:
            pytest.fail(str(exc), pytrace=False)
        _start_or_fail(service.start)
        yield service
    finally:
        if service is not None:
            service.stop()


def _kept_running[S: _Service](service: S) -> Iterator[S]:
    """A function-scoped view: running before the test, restarted after it if the test
    stopped it (a fault test that fails half-way must not break the tests after it)."""
    _start_or_fail(service.start)
    yield service
    _start_or_fail(service.start)


def _start_or_fail(start: Callable[[], None]) -> None:
    try:
        start()
    except ServiceStartError as exc:
        pytest.fail(str(exc), pytrace=False)


# PKI ---------------------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def test_pki(tmp_path_factory: pytest.TempPathFactory) -> TestPki:
    """CA + server (localhost/127.0.0.1) + client certificates, EC P-256, PEM files."""
    return create_test_pki(tmp_path_factory.mktemp("pki"))


@pytest.fixture(scope="session")
def pki_dir(test_pki: TestPki) -> Path:
    """Directory holding ca.pem/ca.key, server.pem/server.key, client.pem/client.key."""
    return test_pki.directory


# Mosquitto ---------------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def _mosquitto_session(
    tmp_path_factory: pytest.TempPathFactory, test_pki: TestPki
) -> Iterator[MosquittoBroker]:
    with _session_service(
        lambda: MosquittoBroker(tmp_path_factory.mktemp("mosquitto"), test_pki)
    ) as broker:
        yield broker


@pytest.fixture
def mosquitto_tls(_mosquitto_session: MosquittoBroker) -> Iterator[MosquittoBroker]:
    """Shared TLS broker (``host``, ``port``, ``ca_cert``, ``client_cert``, ``client_key``,
    ``stop()``/``start()``); restarted after the test if the test left it stopped."""
    yield from _kept_running(_mosquitto_session)


@pytest.fixture
def mosquitto_factory(
    tmp_path_factory: pytest.TempPathFactory, test_pki: TestPki
) -> Iterator[Callable[..., MosquittoBroker]]:
    """Make dedicated brokers (for destructive fault tests); all are stopped after the test."""
    brokers: list[MosquittoBroker] = []

    def make(**options: int) -> MosquittoBroker:
        try:
            broker = MosquittoBroker(
                tmp_path_factory.mktemp("mosquitto-private"), test_pki, **options
            )
            brokers.append(broker)
            broker.start()
        except ServiceStartError as exc:
            pytest.fail(str(exc), pytrace=False)
        return broker

    try:
        yield make
    finally:
        for broker in brokers:
            broker.stop()


# pcscd + vpcd ------------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def _pcscd_session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PcscdVpcd]:
    previous = os.environ.get(SOCKET_ENV)
    try:
        with _session_service(lambda: PcscdVpcd(tmp_path_factory.mktemp("pcscd"))) as daemon:
            daemon.export_to_process()
            _check_client_sees(daemon)
            yield daemon
    finally:
        if previous is None:
            os.environ.pop(SOCKET_ENV, None)
        else:
            os.environ[SOCKET_ENV] = previous


def _check_client_sees(daemon: PcscdVpcd) -> None:
    """Fail loudly if libpcsclite in this process already cached another socket path."""
    from smartcard.Exceptions import ListReadersException
    from smartcard.System import readers

    try:
        names = [str(reader) for reader in readers()]
    except ListReadersException as exc:
        names = [f"<error: {exc}>"]
    if daemon.reader_name not in names:
        pytest.fail(
            f"pyscard in this process does not see the private pcscd reader "
            f"{daemon.reader_name!r} (got {names}). libpcsclite reads {SOCKET_ENV} once, at "
            "the first SCardEstablishContext of the process: the pcscd_vpcd fixture must be "
            "set up before any other PC/SC use in the test process.",
            pytrace=False,
        )


@pytest.fixture
def pcscd_vpcd(_pcscd_session: PcscdVpcd) -> Iterator[PcscdVpcd]:
    """Private pcscd with the vpcd reader (``vpcd_port``, ``socket_path``, ``reader_name``).

    ``PCSCLITE_CSOCK_NAME`` is exported for the whole test process, so pyscard talks to it.
    """
    yield from _kept_running(_pcscd_session)


# neo-go ------------------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def _neo_session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NeoGoNode]:
    with _session_service(lambda: NeoGoNode(tmp_path_factory.mktemp("neogo"))) as node:
        yield node


@pytest.fixture
def neo_node(_neo_session: NeoGoNode) -> Iterator[NeoGoNode]:
    """One-validator neo-go private net (``rpc_url``, ``magic``, ``keys``, account helpers)."""
    yield from _kept_running(_neo_session)


# Xvfb --------------------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def xvfb_display(tmp_path_factory: pytest.TempPathFactory) -> Iterator[XvfbServer]:
    """Private Xvfb (1280x800x24); use ``.display`` as ``DISPLAY`` for child processes."""
    with _session_service(lambda: XvfbServer(tmp_path_factory.mktemp("xvfb"))) as server:
        yield server


# PostgreSQL ---------------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def _postgres_session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PostgresServer]:
    server: PostgresServer | None = None
    try:
        with _session_service(
            lambda: PostgresServer(tmp_path_factory.mktemp("postgres"))
        ) as server:
            yield server
    finally:
        if server is not None:
            server.remove()


@pytest.fixture
def postgres(_postgres_session: PostgresServer) -> Iterator[PostgresServer]:
    """A running private PostgreSQL with an empty ``bdmi`` database for this test."""
    for _ in _kept_running(_postgres_session):
        _postgres_session.reset()
        yield _postgres_session
