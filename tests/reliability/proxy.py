"""A loopback TCP proxy that a test can cut and restore: a database outage for real, between a crawl and
its PostgreSQL server, without touching the server itself.

While cut, every open connection through the proxy is reset and new ones are closed at once (what a
client sees when the server or the network goes away); :meth:`TcpProxy.restore` lets connections through
again. :meth:`TcpProxy.cut_after` arms an outage that starts when the clients have sent a given number of
chunks (roughly: statements) through the proxy, so a test hits a crawl at chosen points of its work.
"""

from __future__ import annotations

import contextlib
import socket
import struct
import threading
import time


class TcpProxy:
    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port: int = self._listener.getsockname()[1]
        self._lock = threading.Lock()
        self._pairs: list[tuple[socket.socket, socket.socket]] = []
        self._down = False
        self._closed = False
        self.chunks = 0  # client-to-server chunks forwarded so far
        self.cuts: list[tuple[int, float]] = []  # (chunk count, seconds) of every outage so far
        self._armed: tuple[int, float] | None = None

    def start(self) -> TcpProxy:
        threading.Thread(target=self._accept, name="proxy-accept", daemon=True).start()
        return self

    def close(self) -> None:
        self._closed = True
        self._listener.close()
        self._drop_all()

    # --- outages -------------------------------------------------------------------------------------

    def cut(self) -> None:
        with self._lock:
            self._down = True
        self._drop_all()

    def restore(self) -> None:
        with self._lock:
            self._down = False

    def cut_after(self, chunks: int, seconds: float) -> None:
        """Cut for ``seconds`` once ``chunks`` more client chunks have gone through."""
        with self._lock:
            self._armed = (self.chunks + chunks, seconds)

    def _outage(self, seconds: float) -> None:
        self.cut()
        time.sleep(seconds)
        self.restore()

    # --- plumbing ------------------------------------------------------------------------------------

    def _drop_all(self) -> None:
        with self._lock:
            pairs, self._pairs = self._pairs, []
        for pair in pairs:
            for sock in pair:
                # shut down first: a close alone does not end a connection another thread is blocked
                # reading, and the server would keep the client's transaction (and its locks) open
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                with contextlib.suppress(OSError):
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                with contextlib.suppress(OSError):
                    sock.close()

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            with self._lock:
                down = self._down
            if down:
                client.close()
                continue
            try:
                upstream = socket.create_connection(self.target, timeout=5)
                upstream.settimeout(None)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._pairs.append((client, upstream))
            threading.Thread(target=self._pump, args=(client, upstream, True), daemon=True).start()
            threading.Thread(target=self._pump, args=(upstream, client, False), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket, counted: bool) -> None:
        try:
            while True:
                data = source.recv(65536)
                if not data:
                    break
                if counted and self._count():
                    return
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                with contextlib.suppress(OSError):
                    sock.close()

    def _count(self) -> bool:
        """Count one client chunk; start an armed outage when its turn comes (the chunk is dropped)."""
        with self._lock:
            self.chunks += 1
            armed = self._armed
            if armed is None or self.chunks < armed[0]:
                return False
            self._armed = None
            self.cuts.append((self.chunks, armed[1]))
        threading.Thread(target=self._outage, args=(armed[1],), daemon=True).start()
        return True
