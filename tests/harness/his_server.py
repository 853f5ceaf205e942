"""A hospital information system's FHIR endpoint for the tests: a real HTTPS server on
loopback that demands a client certificate from the test CA and validates every Bundle it
receives with ``fhir.resources``, the library the kiosk builds them with.

``answer`` sets what it says to a valid Bundle (201, or 400/500 to play a HIS that refuses
or fails); an invalid one always gets 400 with an OperationOutcome, as a real FHIR server
answers. What it accepted is kept in ``received`` for the tests to read.
"""

from __future__ import annotations

import json
import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from fhir.resources.R4B.bundle import Bundle

from kiosk.his.fhir_checkin import HisMessageError, parse_checkin_bundle
from tests.harness.pki import TestPki

MAX_BODY = 64 * 1024


class HisServer:
    def __init__(self, pki: TestPki, *, server_cert: Path | None = None,
                 server_key: Path | None = None) -> None:  # fmt: skip
        self.answer = 201
        self.received: list[Bundle] = []
        self.requests = 0
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(str(server_cert or pki.server.cert),
                                str(server_key or pki.server.key))  # fmt: skip
        context.load_verify_locations(str(pki.ca_cert))
        context.verify_mode = ssl.CERT_REQUIRED
        self._context = context
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}/fhir"

    def start(self, port: int = 0) -> None:
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                owner.requests += 1
                length = int(self.headers.get("Content-Length", "0"))
                if self.path != "/fhir" or not 0 < length <= MAX_BODY:
                    self._reply(400, _outcome("not a check-in Bundle"))
                    return
                body = self.rfile.read(length)
                try:
                    bundle = parse_checkin_bundle(body)
                except HisMessageError:
                    self._reply(400, _outcome("invalid FHIR Bundle"))
                    return
                if owner.answer != 201:
                    self._reply(owner.answer, _outcome(f"answer {owner.answer}"))
                    return
                owner.received.append(bundle)
                self._reply(201, {"resourceType": "Bundle", "type": "transaction-response"})

            def _reply(self, status: int, document: dict[str, object]) -> None:
                data = json.dumps(document).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/fhir+json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: object) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        server.socket = self._context.wrap_socket(server.socket, server_side=True)
        self.port = server.server_address[1]
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, name="his", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None


def _outcome(text: str) -> dict[str, object]:
    return {
        "resourceType": "OperationOutcome",
        "issue": [{"severity": "error", "code": "invalid", "diagnostics": text}],
    }
