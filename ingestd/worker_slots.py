"""Which worker a process is, the listening sockets it serves, and its share of the FTP ports.

Kept apart from `workers` (the parent that forks) so that the servers, which only need to
know their slot, import nothing of the supervisor.
"""

from __future__ import annotations

import logging
import socket
from dataclasses import dataclass

from core.settings import parse_listen

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class WorkerSlot:
    """Which worker this process is, and the sockets the parent bound for it."""

    index: int
    count: int
    ftp_socket: socket.socket | None
    sftp_socket: socket.socket | None


def bind_listener(listen: str, backlog: int = 128) -> socket.socket:
    """A socket listening on ``listen`` (HOST:PORT); an address it cannot have (taken by
    another server, a port below 1024 without the privilege) is named in the error."""
    host, port = parse_listen(listen)
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
        sock.listen(backlog)
    except OSError as error:
        sock.close()
        raise OSError(error.errno, f"cannot listen on {listen}: {error.strerror}") from None
    return sock


def log_listening(protocol: str, address: tuple[str, int], slot: WorkerSlot | None) -> None:
    """Say once per service where ``protocol`` is served: a process of its own (``slot`` None:
    ingestd alone, or the parent that bound the socket for its workers) at INFO; a worker at
    DEBUG, or the journal would repeat the line once per worker."""
    host, port = address[:2]
    if slot is None:
        logger.info("%s listening on %s:%d", protocol, host, port)
    else:
        logger.debug("worker %d serving %s on %s:%d", slot.index, protocol, host, port)


def ftp_worker_count(slot: WorkerSlot | None, ftp_workers: int) -> int:
    """How many processes serve FTP: the first ``ftp_workers`` of the workers."""
    return 1 if slot is None else max(1, min(slot.count, ftp_workers))


def serves_ftp(slot: WorkerSlot | None, ftp_workers: int) -> bool:
    return slot is None or slot.index < ftp_worker_count(slot, ftp_workers)


def passive_ports_for(ports: range, slot: WorkerSlot | None, ftp_workers: int = 32) -> list[int]:
    """This worker's contiguous share of the passive port range."""
    count = ftp_worker_count(slot, ftp_workers)
    if slot is None or count == 1:
        return list(ports)
    if len(ports) < count:
        raise ValueError(
            f"ftp.passive_ports has {len(ports)} ports, fewer than the {count} FTP workers"
        )
    start = len(ports) * slot.index // count
    end = len(ports) * (slot.index + 1) // count
    return list(ports[start:end])
