"""A switch on loopback in front of a real server, to cut it off the way outages do.

``forward`` pipes bytes to the real server; ``silent`` accepts connections and never
answers (a frozen or overloaded server, a half-dead network path); ``frozen`` keeps the
connections already open but passes nothing more on them, and new ones are silent;
``closed`` refuses connections (the server is down). Changing mode cuts every connection
open before, as a restart or failover would, except into ``frozen``.
"""

from __future__ import annotations

import contextlib
import select
import socket
import threading
from typing import Any

MODES = ("forward", "silent", "frozen", "closed")


def closed_port() -> int:
    """A loopback port with nothing listening (connections are refused)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Switch:
    def __init__(self, upstream: tuple[str, int] | None = None, mode: str = "forward") -> None:
        self.upstream = upstream
        self.mode = mode
        self._lock = threading.Lock()
        self._request: tuple[str, threading.Event] | None = None
        self._stop = False
        self._peers: dict[socket.socket, socket.socket | None] = {}
        self._listener: socket.socket | None = None
        self.port = 0
        self._listen()
        if mode == "closed":
            self._unlisten()
        self._thread = threading.Thread(target=self._run, daemon=True, name="switch")
        self._thread.start()

    # -------------------------------------------------------------- control

    def set(self, mode: str) -> None:
        """Switch mode; returns once the switch has done it."""
        assert mode in MODES
        done = threading.Event()
        with self._lock:
            self._request = (mode, done)
        assert done.wait(10), "the switch did not answer"

    def close(self) -> None:
        self.set("closed")
        self._stop = True
        self._thread.join(5)

    def __enter__(self) -> Switch:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    # -------------------------------------------------------------- inside

    def _listen(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self.port = listener.getsockname()[1]
        self._listener = listener

    def _unlisten(self) -> None:
        if self._listener is not None:
            self._listener.close()
            self._listener = None

    def _cut_all(self) -> None:
        for sock in list(self._peers):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()
        self._peers.clear()

    def _apply(self, mode: str) -> None:
        if mode != "frozen":
            self._cut_all()
        if mode == "closed":
            self._unlisten()
        elif self._listener is None:
            self._listen()
        self.mode = mode

    def _accept(self) -> None:
        assert self._listener is not None
        conn, _ = self._listener.accept()
        if self.mode == "forward" and self.upstream:
            try:
                up = socket.create_connection(self.upstream, timeout=5)
            except OSError:
                conn.close()
                return
            self._peers[conn] = up
            self._peers[up] = conn
        else:
            self._peers[conn] = None  # held open, never answered

    def _pump(self, sock: socket.socket) -> None:
        try:
            data = sock.recv(65536)
        except OSError:
            data = b""
        peer = self._peers.get(sock)
        if not data:
            for s in (sock, peer):
                if s is not None:
                    self._peers.pop(s, None)
                    s.close()
            return
        if peer is not None and self.mode == "forward":
            try:
                peer.sendall(data)
            except OSError:
                self._peers.pop(peer, None)
                peer.close()

    def _run(self) -> None:
        while not self._stop:
            with self._lock:
                request, self._request = self._request, None
            if request:
                self._apply(request[0])
                request[1].set()
            watched = list(self._peers) + ([self._listener] if self._listener else [])
            if self.mode == "frozen":  # read nothing: the bytes sit in the buffers
                watched = [self._listener] if self._listener else []
            if not watched:
                threading.Event().wait(0.02)
                continue
            try:
                ready, _, _ = select.select(watched, [], [], 0.02)
            except (OSError, ValueError):  # a socket closed under us: look again
                continue
            for sock in ready:
                if sock is self._listener:
                    self._accept()
                elif sock in self._peers:
                    self._pump(sock)
        self._cut_all()
        self._unlisten()
