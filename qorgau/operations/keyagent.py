"""The key agent (trustee custody, issue 29): one small process, `qorgau key-agent`, that
takes the trustees' shares, holds the unwrapped keys in its memory and hands them to the
instance's other processes (every gunicorn worker, the task worker, a command run under
`qorgau unlock`), so that the shares entered once at /unlock/ open every process.

It listens on a Linux abstract-namespace Unix socket: an address with no file behind it
(nothing on disk; it vanishes with the process), named after the data folder, so that the
processes sharing a data folder find the same agent. Any local user could connect to such
an address, or take it first, so both ends check who is at the other end (SO_PEERCRED):
the agent answers only processes of its own user, and a process talks only to an agent of
its own user (another user's socket under the name gets no share and gives no key).

One JSON line each way per connection: {"op": "keys"} -> the keys and the lock
generation they were opened under (or {"open": false}); {"op": "share", "share": ...} ->
how many more are needed, or a refusal; {"op": "check"} -> the agent drops its keys now if
a newer lock is on disk (it also does so every second, as every process does).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import socket
import socketserver
import struct
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)
MAX_LINE = 64 * 1024
TIMEOUT = 5.0


def address(data_dir: Path | str) -> bytes:
    """The abstract address (a leading NUL byte: no file) of the agent for a data folder."""
    where = os.path.realpath(data_dir).encode("utf-8", "surrogateescape")
    return b"\0qorgau-keys-" + hashlib.sha256(where).hexdigest()[:32].encode("ascii")


def peer_uid(sock: socket.socket) -> int:
    raw = sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    _pid, uid, _gid = struct.unpack("3i", raw)
    return int(uid)


def _read_line(sock: socket.socket) -> bytes:
    data = b""
    while not data.endswith(b"\n"):
        chunk = sock.recv(4096)
        if not chunk:
            break
        data += chunk
        if len(data) > MAX_LINE:
            raise ValueError("message too long")
    return data


class NotOurs(RuntimeError):
    """The socket under the agent's name belongs to another user."""


def request(data_dir: Path | str, message: dict[str, Any]) -> dict[str, Any] | None:
    """One request to the agent; None when no agent listens for this data folder."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(TIMEOUT)
        try:
            sock.connect(address(data_dir))
        except (ConnectionRefusedError, FileNotFoundError):
            return None
        if peer_uid(sock) != os.getuid():
            raise NotOurs("the key agent's address is held by a process of another user")
        sock.sendall(json.dumps(message).encode("utf-8") + b"\n")
        answer = _read_line(sock)
    if not answer:
        return None
    result = json.loads(answer)
    return result if isinstance(result, dict) else None


class _Handler(socketserver.StreamRequestHandler):
    timeout = TIMEOUT

    def handle(self) -> None:
        server: AgentServer = self.server  # type: ignore[assignment]
        try:
            line = self.rfile.readline(MAX_LINE)
            message = json.loads(line)
            if not isinstance(message, dict):
                raise ValueError("not an object")
            answer = server.answer(message)
        except (ValueError, UnicodeDecodeError):
            answer = {"error": "bad_request"}
        self.wfile.write(json.dumps(answer).encode("utf-8") + b"\n")


class AgentServer(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    """Serves the keys of this process (qorgau.operations.custody) to its own user only."""

    daemon_threads = True

    def __init__(self, data_dir: Path | str) -> None:
        super().__init__(address(data_dir), _Handler)  # type: ignore[arg-type]

    def verify_request(self, request: Any, client_address: Any) -> bool:
        uid = peer_uid(request)
        if uid != os.getuid():
            log.warning("key agent: refused a connection from user id %s", uid)
            return False
        return True

    def answer(self, message: dict[str, Any]) -> dict[str, Any]:
        from qorgau.operations import custody

        op = message.get("op")
        if op == "keys":
            return custody.keys_for_agent_client()
        if op == "share":
            try:
                return {"remaining": custody.add_share(str(message.get("share", "")))}
            except custody.ShareError as exc:
                return {"error": exc.code, "message": str(exc)}
        if op == "check":
            custody.check_lock()
            return {"open": not custody.locked()}
        return {"error": "bad_request"}


def no_core_dumps() -> None:
    """This process cannot be dumped to disk nor read by another process of the same user
    (prctl PR_SET_DUMPABLE 0: no core file, no ptrace attach, /proc/<pid>/mem root's only)."""
    import ctypes

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(4, 0, 0, 0, 0) != 0:  # PR_SET_DUMPABLE = 4
            log.warning("key agent: prctl(PR_SET_DUMPABLE) failed: errno %s", ctypes.get_errno())
    except (OSError, AttributeError):
        log.warning("key agent: cannot turn core dumps off on this system")
