"""TLS 1.3 session tickets off, through OpenSSL's own configuration file.

After a TLS 1.3 handshake the server sends session tickets. An FTPS client that only writes to
its data connection never reads them, and lftp then aborts the upload or its kernel resets the
connection (DESIGN.md §1c; measured in README, Crypto defaults). OpenSSL's
``SSL_CTX_set_num_tickets`` turns them off, but neither pyOpenSSL nor cryptography's bindings
offer it. OpenSSL's configuration file does (``NumTickets = 0`` in the ``system_default``
section, SSL_CONF_cmd(3)), for every context it creates.

OpenSSL reads that file once, when it initialises, and cryptography's bundled OpenSSL does so on
import: `use_ingestd_openssl_config` must run before anything imports ``cryptography`` or
``OpenSSL`` (the first lines of ``ingestd/__main__.py``). An ``OPENSSL_CONF`` set by the admin
is left alone. Whether it worked is not assumed: ``ingestd.ftp.service`` checks each context
with a handshake in memory and keeps TLS 1.3 off, with a warning, while tickets would go out.

Python's own ``ssl`` module (the system's OpenSSL) reads ``OPENSSL_CONF`` too; ingestd does not
use it.
"""

from __future__ import annotations

import os
from pathlib import Path

OPENSSL_CONFIG = Path(__file__).with_name("openssl.cnf")


def use_ingestd_openssl_config() -> None:
    """Point OpenSSL at ingestd's configuration, unless the admin chose one."""
    os.environ.setdefault("OPENSSL_CONF", str(OPENSSL_CONFIG))
