"""A TCP proxy that can cut its link: the network fault a real broker cannot produce itself.

A device on a hospital network loses its link without any FIN (a cable pulled, a Wi-Fi
roam). ``cut()`` closes every proxied connection at once and ``block()`` refuses new ones
until ``unblock()``; the client sees exactly what it would see on the wire. It forwards
bytes unchanged, so TLS runs end to end between the client and the broker through it.
"""

from __future__ import annotations

import contextlib
import socket
import threading

from tests.harness.ports import LOOPBACK, free_port


class TcpProxy:
    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.host = LOOPBACK
        self.port = free_port()
        self._listener = socket.create_server((self.host, self.port))
        self._lock = threading.Lock()
        self._links: list[tuple[socket.socket, socket.socket]] = []
        self._blocked = False
        self._closed = False
        self.cuts = 0
        self._thread = threading.Thread(target=self._accept, name="tcp-proxy", daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            if self._blocked:
                client.close()
                continue
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            upstream.settimeout(None)  # an idle MQTT link is normal: never time it out
            with self._lock:
                self._links.append((client, upstream))
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for s in (source, sink):
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)

    def cut(self) -> int:
        """Drop every live connection now; returns how many were cut."""
        with self._lock:
            links, self._links = self._links, []
        for pair in links:
            for s in pair:
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)
                s.close()
        self.cuts += 1
        return len(links)

    def block(self) -> None:
        self._blocked = True
        self.cut()

    def unblock(self) -> None:
        self._blocked = False

    def close(self) -> None:
        self._closed = True
        self.cut()
        self._listener.close()
