"""Fails loudly when a pyftpdlib upgrade changes what `ingestd.ftp.pyftpdlib_adapter` relies on.

Each check names the internal it guards; the adapter's docstring says why we need it.
"""

from __future__ import annotations

import inspect
import re

import pyftpdlib
from pyftpdlib.filesystems import AbstractedFS
from pyftpdlib.handlers import DTPHandler, FTPHandler, TLS_DTPHandler, TLS_FTPHandler
from pyftpdlib.handlers.ftps.ssl import SSLConnectionMixin
from pyftpdlib.ioloop import AsyncChat, IOLoop
from pyftpdlib.servers import FTPServer

from ingestd.filesystems import JailedFS
from ingestd.ftp.pyftpdlib_adapter import (
    PINNED_PYFTPDLIB,
    BrokenLinkAwareDTPHandler,
    LoopBridge,
    UploadDTPHandler,
    UploadFTPHandler,
)


def _source(function: object) -> str:
    return inspect.getsource(function)  # type: ignore[arg-type]


def _parameters(function: object) -> list[str]:
    return list(inspect.signature(function).parameters)  # type: ignore[arg-type]


def test_pyftpdlib_minor_version_is_the_pinned_one():
    assert pyftpdlib.__ver__.startswith(PINNED_PYFTPDLIB + "."), (
        f"pyftpdlib {pyftpdlib.__ver__}: re-check ingestd/ftp/pyftpdlib_adapter.py against its "
        f"handlers, then update PINNED_PYFTPDLIB and setup.cfg"
    )


def test_data_connection_replies_through_resp_after_close():
    # DTPHandler._resp: the reply sent once the data connection is closed.
    assert "self._resp = ()" in _source(DTPHandler.__init__), "DTPHandler._resp no longer set"
    close = _source(DTPHandler.close)
    assert "if not self._closed:" in close, "DTPHandler.close no longer guarded by _closed"
    assert "self.cmd_channel.respond(self._resp[0], logfun=self._resp[1])" in close, (
        "DTPHandler.close no longer replies with _resp"
    )


def test_clearing_file_obj_still_skips_pyftpdlibs_handover():
    # file_obj = None before close(): pyftpdlib must then neither reply late nor hand over.
    close = _source(DTPHandler.close)
    assert "if self.file_obj is not None:" in close, "DTPHandler.close handover not on file_obj"
    assert "self.cmd_channel.on_file_received(filename)" in close
    assert "self.cmd_channel.on_incomplete_file_received(filename)" in close
    # The reply goes out before the handover pyftpdlib would do: that is why we hand over first.
    assert close.index("self._resp[0]") < close.index("on_file_received"), (
        "DTPHandler.close now hands over before replying: the adapter's reordering may be moot"
    )
    assert "self.transfer_finished = True" in _source(DTPHandler.handle_close)


def test_write_errors_still_carry_their_cause():
    # _FileReadWriteError(err) from err: the adapter reads the cause to tell a limit apart.
    handle_read = _source(DTPHandler.handle_read)
    assert "self.file_obj.write(chunk)" in handle_read
    assert "raise _FileReadWriteError(err) from err" in handle_read, (
        "DTPHandler.handle_read no longer chains the write error's cause"
    )


def test_tls_layer_still_reports_a_reset_past_subclass_overrides():
    # The handle_close MRO trick: the TLS layer calls super().handle_close() inside its except
    # block; BrokenLinkAwareDTPHandler must sit right after it to see the error.
    for method in (SSLConnectionMixin.recv, SSLConnectionMixin.send):
        source = _source(method)
        assert "except SSL.SysCallError" in source, method
        assert "super().handle_close()" in source, method
    mro = UploadDTPHandler.__mro__
    assert mro.index(SSLConnectionMixin) + 1 == mro.index(BrokenLinkAwareDTPHandler), mro
    assert mro.index(BrokenLinkAwareDTPHandler) < mro.index(DTPHandler)
    assert issubclass(TLS_DTPHandler, SSLConnectionMixin)


def test_control_connection_private_state_is_still_there():
    # _ssl_established, _closed, _log_debug: read by the adapter.
    assert SSLConnectionMixin._ssl_established is False
    assert "self._ssl_established = True" in _source(SSLConnectionMixin)
    assert "self._closed = False" in _source(AsyncChat.__init__)
    assert "self._log_debug = (" in _source(FTPHandler.__init__)
    # _rnfr: set by RNFR, read by the RNTO we run ourselves (take_rename_source).
    assert "self._rnfr = None" in _source(FTPHandler.__init__)
    assert "self._rnfr = path" in _source(FTPHandler.ftp_RNFR)
    # _restart_position: set by REST, read and cleared by STOR (restart_position).
    assert "self._restart_position = marker" in _source(FTPHandler.ftp_REST)
    stor = _source(FTPHandler.ftp_STOR)
    assert "rest_pos = self._restart_position" in stor
    assert "self._restart_position = 0" in stor


def test_attributes_we_read_or_configure_are_still_there():
    dtp_init = _source(DTPHandler.__init__)
    for line in (
        "self.cmd_channel = cmd_channel",
        "self.file_obj = None",
        "self.receive = False",
        "self.transfer_finished = False",
    ):
        assert line in dtp_init, f"DTPHandler.__init__ changed: {line!r}"
    # Class attributes ingestd.ftp.service and ingestd.ftp.handlers configure.
    for name in (
        "tls_control_required", "tls_data_required", "ssl_context", "max_login_attempts",
        "auth_failed_timeout", "abstracted_fs", "dtp_handler", "use_sendfile", "authorizer",
        "passive_ports", "masquerade_address", "permit_foreign_addresses", "timeout", "banner",
    ):  # fmt: skip
        assert hasattr(TLS_FTPHandler, name), f"TLS_FTPHandler.{name} is gone"
    assert DTPHandler.ac_in_buffer_size == 65536, "DTPHandler's read size changed"
    assert _parameters(AbstractedFS.lexists) == ["self", "path"]


def test_overridden_methods_keep_their_shape():
    shapes = {
        FTPHandler.log: ["self", "msg", "logfun"],
        FTPHandler.logline: ["self", "msg", "logfun"],
        FTPHandler.logerror: ["self", "msg"],
        FTPHandler.log_transfer: [
            "self", "cmd", "filename", "receive", "completed", "elapsed", "bytes",
        ],
        FTPHandler.get_repr_info: ["self", "as_str", "extra_info"],
        FTPHandler.process_command: ["self", "cmd", "args", "kwargs"],
        FTPHandler.pre_process_command: ["self", "line", "cmd", "arg"],
        FTPHandler.handle: ["self"],
        FTPHandler.close: ["self"],
        FTPHandler.__init__: ["self", "conn", "server", "ioloop"],
        FTPHandler.handle_auth_success: ["self", "home", "password", "msg_login"],
        FTPHandler.handle_auth_failed: ["self", "msg", "password"],
        FTPHandler.ftp_STOR: ["self", "file", "mode"],
        FTPHandler.ftp_APPE: ["self", "file"],
        FTPHandler.ftp_RNTO: ["self", "path"],
        FTPHandler.ftp_DELE: ["self", "path"],
        FTPHandler.ftp_MFMT: ["self", "path", "timeval"],
        FTPHandler.ftp_MDTM: ["self", "path"],
        FTPHandler.ftp_MLSD: ["self", "path"],
        FTPHandler.on_login: ["self", "username"],
        AbstractedFS.lstat: ["self", "path"],
        AbstractedFS.stat: ["self", "path"],
        AbstractedFS.utime: ["self", "path", "timeval"],
        DTPHandler.close: ["self"],
        DTPHandler.handle_error: ["self"],
        DTPHandler.handle_close: ["self"],
        AsyncChat.add_channel: ["self", "map", "events"],
        AsyncChat.del_channel: ["self", "map"],
        AsyncChat.call_later: ["self", "seconds", "target", "args", "kwargs"],
        AsyncChat.__init__: ["self", "sock", "ioloop"],
    }  # fmt: skip
    for method, parameters in shapes.items():
        assert _parameters(method) == parameters, method.__qualname__
    # The TLS handler still runs USER/PASS through process_command and closes through
    # FTPHandler.close, which the adapter's overrides wrap.
    assert "FTPHandler.process_command(self, cmd, *args, **kwargs)" in _source(
        TLS_FTPHandler.process_command
    )
    assert "FTPHandler.close(self)" in _source(TLS_FTPHandler.close)
    assert issubclass(UploadFTPHandler, TLS_FTPHandler)
    # The listings (LIST, MLSD, MLST) stat through the filesystem object, so the handed-over
    # uploads JailedFS adds show in them.
    assert "self.lstat(file)" in _source(AbstractedFS.format_list)
    assert "self.stat(file)" in _source(AbstractedFS.format_mlsx) or "self.lstat(file)" in _source(
        AbstractedFS.format_mlsx
    )
    # Every command line goes through pre_process_command before a path is looked at.
    assert "self.pre_process_command(line, cmd, arg)" in _source(FTPHandler.found_terminator)


def test_login_replacements_still_do_what_pyftpdlib_does():
    # accept_login / refuse_login replace these; new state set here must be set there too.
    success = _source(FTPHandler.handle_auth_success)
    for line in (
        "self.authenticated = True",
        "self.attempted_logins = 0",
        "self.fs = self.abstracted_fs(home, self)",
        "self.on_login(self.username)",
    ):
        assert line in success, f"handle_auth_success changed: {line!r}"
    # Everything it sets but the password (which we never keep) is set by accept_login.
    assert set(re.findall(r"self\.(\w+) = ", success)) == {
        "authenticated", "attempted_logins", "fs", "password",
    }, "handle_auth_success sets other state now: compare with accept_login"  # fmt: skip
    failed = _source(FTPHandler.handle_auth_failed)
    for line in (
        "self.attempted_logins += 1",
        "self.attempted_logins >= self.max_login_attempts",
        "self.close_when_done()",
        "self.on_login_failed(username, password)",
        'self.username = ""',
    ):
        assert line in failed, f"handle_auth_failed changed: {line!r}"
    assert set(re.findall(r"self\.(\w+) \+?= ", failed)) == {"attempted_logins", "username"}, (
        "handle_auth_failed sets other state now: compare with refuse_login"
    )
    password = _source(FTPHandler.ftp_PASS)
    assert "self.handle_auth_success(home, line, msg_login)" in password


def test_server_still_asks_the_handler_after_its_own_limits():
    # handle() is where the shared connection limit is checked, after pyftpdlib's own.
    accepted = _source(FTPServer.handle_accepted)
    max_cons = accepted.index("handler.handle_max_cons()")
    per_ip = accepted.index("handler.handle_max_cons_per_ip()")
    assert max_cons < per_ip < accepted.index("handler.handle()")
    handle = _source(FTPHandler.handle)
    assert "self.on_connect()" in handle
    assert "if not self._closed and not self._closing:" in handle, (
        "FTPHandler.handle no longer skips the 220 for a session on_connect closed"
    )


def test_filesystem_methods_jailedfs_overrides_keep_their_shape():
    for name in (
        "ftp2fs", "fs2ftp", "validpath", "open", "mkstemp", "chdir", "mkdir", "listdir",
        "rmdir", "remove", "rename", "chmod", "utime",
    ):  # fmt: skip
        ours, theirs = getattr(JailedFS, name), getattr(AbstractedFS, name)
        assert _parameters(ours) == _parameters(theirs), name
    # STOR/APPE/REST open files with these modes; JailedFS.open tells them apart by them.
    stor = _source(FTPHandler.ftp_STOR)
    assert 'mode = "r+"' in stor
    assert 'self.fs.open, file, mode + "b"' in stor


def test_loop_bridge_wakes_the_loop_from_another_thread():
    # AsyncChat subclassed: the loop must still call handle_read_event for a readable socket.
    ioloop = IOLoop.factory()
    bridge = LoopBridge(ioloop)
    called: list[int] = []
    try:
        bridge.call_soon(called.append, 1)
        ioloop.loop(timeout=0.5, blocking=False)
        assert called == [1], "LoopBridge callbacks no longer run in the loop"
    finally:
        ioloop.close()
    assert bridge._wake_writer.fileno() == -1, "closing the loop no longer closes the bridge"
