"""POST a check-in Bundle to the HIS over HTTPS with mutual TLS: the transport, apart from
the message (fhir_checkin.py) and the queue (kiosk/store/his_outbox.py).

Each attempt ends in one of three outcomes, because the queue treats them differently:
``DELIVERED`` (a 2xx: the row's personal data is erased), ``REFUSED`` (a 4xx: the HIS read
the message and will not take it, so sending it again cannot help; staff look at the reason
in ``kioskctl outbox``), or ``RETRY`` (the HIS could not be reached, failed itself, or the
TLS handshake failed; it goes again later). A certificate that does not match is a retry
too: the usual cause is a certificate renewed on one side only, which a technician fixes
without anyone re-checking in, and the check-in must not be lost meanwhile.

The standard library's ``http.client`` does this: one request, a bounded reply, no session.
"""

from __future__ import annotations

import http.client
import ssl
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from urllib.parse import urlsplit

MAX_REPLY_BYTES = 64 * 1024
"""An OperationOutcome or a transaction-response is a few KB; the rest is not read."""
CONTENT_TYPE = "application/fhir+json"


class Outcome(StrEnum):
    DELIVERED = "delivered"
    REFUSED = "refused"
    RETRY = "retry"


@dataclass(frozen=True, slots=True)
class Delivery:
    outcome: Outcome
    reason: str
    """``HIS_DELIVERED``, ``HIS_REFUSED``, ``HIS_UNREACHABLE``, ``HIS_SERVER_ERROR``,
    ``HIS_TLS_FAILED``."""
    status: int | None = None


@dataclass(frozen=True, slots=True)
class HisEndpoint:
    url: str
    """The FHIR base URL (``https://his.example.local/fhir``): the Bundle is POSTed there."""
    ca_file: Path
    cert_file: Path
    key_file: Path
    timeout_s: float = 10.0

    def tls_context(self) -> ssl.SSLContext:
        """The HIS's certificate must chain to the site's CA and name the host; the kiosk
        shows its own client certificate. TLS 1.2 at least."""
        context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=str(self.ca_file))
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        context.load_cert_chain(str(self.cert_file), str(self.key_file))
        return context


def post_bundle(endpoint: HisEndpoint, body: bytes, context: ssl.SSLContext) -> Delivery:
    """One attempt. Never raises for what the network or the HIS does: the outcome says it."""
    parts = urlsplit(endpoint.url)
    if parts.scheme != "https" or not parts.hostname:
        return Delivery(Outcome.REFUSED, "HIS_CONFIG_INVALID")
    connection = http.client.HTTPSConnection(
        parts.hostname, parts.port or 443, timeout=endpoint.timeout_s, context=context
    )
    try:
        connection.request(
            "POST",
            parts.path or "/",
            body=body,
            headers={"Content-Type": CONTENT_TYPE, "Accept": CONTENT_TYPE},
        )
        reply = connection.getresponse()
        reply.read(MAX_REPLY_BYTES)
        status = reply.status
    except ssl.SSLError:
        return Delivery(Outcome.RETRY, "HIS_TLS_FAILED")
    except (TimeoutError, OSError, http.client.HTTPException):
        return Delivery(Outcome.RETRY, "HIS_UNREACHABLE")
    finally:
        connection.close()
    if 200 <= status < 300:
        return Delivery(Outcome.DELIVERED, "HIS_DELIVERED", status)
    if status in (408, 429) or status >= 500:
        return Delivery(Outcome.RETRY, "HIS_SERVER_ERROR", status)
    return Delivery(Outcome.REFUSED, "HIS_REFUSED", status)
