"""Fails loudly when a paramiko upgrade changes the private methods ingestd overrides."""

from __future__ import annotations

import inspect

import paramiko
from paramiko import Channel, SFTPServer
from paramiko.buffered_pipe import BufferedPipe
from paramiko.sftp import BaseSFTP

from core.settings.sftp import LEGACY_SSH_MACS, MODERN_SSH_CIPHERS, MODERN_SSH_MACS, SSH_CIPHERS
from ingestd.sftp.protocol import (
    PINNED_PARAMIKO,
    StatusWithMessage,
    TunedSFTPServer,
    paramiko_ciphers,
)


def test_paramiko_minor_version_is_the_pinned_one():
    assert paramiko.__version__.startswith(PINNED_PARAMIKO + "."), (
        f"paramiko {paramiko.__version__}: re-check ingestd/sftp/protocol.py against its "
        f"SFTPServer, then update PINNED_PARAMIKO and setup.cfg"
    )


def test_private_methods_we_override_keep_their_shape():
    assert list(inspect.signature(SFTPServer._send_status).parameters) == [
        "self", "request_number", "code", "desc",
    ]  # fmt: skip
    assert list(inspect.signature(SFTPServer._process).parameters) == [
        "self", "t", "request_number", "msg",
    ]  # fmt: skip
    assert list(inspect.signature(SFTPServer._send_packet).parameters) == [
        "self", "t", "packet",
    ]  # fmt: skip
    assert list(inspect.signature(SFTPServer._read_packet).parameters) == ["self"]
    assert list(inspect.signature(SFTPServer._send_server_version).parameters) == ["self"]
    assert list(inspect.signature(SFTPServer._write_all).parameters) == ["self", "out"]
    # Replies are batched: every reply must still leave through _send_packet, every request
    # arrive through _read_packet, and the version exchange must still be paramiko's.
    start = inspect.getsource(SFTPServer.start_subsystem)
    assert "self._send_server_version()" in start
    assert "self._read_packet()" in start
    assert "self._send_packet(t, msg)" in inspect.getsource(SFTPServer._response)
    assert "self._response(request_number, CMD_STATUS" in inspect.getsource(SFTPServer._send_status)
    assert "self._write_all(out)" in inspect.getsource(SFTPServer._send_packet)
    version = inspect.getsource(SFTPServer._send_server_version)
    assert '"check-file", "md5,sha1"' in version
    # Our CLOSE handling replaces paramiko's, which must still use these two tables; extended
    # requests other than limits go to paramiko's with the tag still unread.
    source = inspect.getsource(SFTPServer._process)
    assert "tag = msg.get_text()" in source
    assert "self.file_table[handle].close()" in source
    assert "self.folder_table" in source
    assert issubclass(TunedSFTPServer, SFTPServer)


def test_channel_internals_the_chunked_buffer_relies_on_are_unchanged():
    # ingestd.sftp.channel_buffer swaps Channel.in_buffer for a ChunkedPipe: the channel must
    # still read and feed only through it, and BufferedPipe keep the state the swap moves over.
    channel_init = inspect.getsource(Channel.__init__)
    assert "self.in_buffer = BufferedPipe()" in channel_init
    assert "self.in_buffer.read(nbytes, self.timeout)" in inspect.getsource(Channel.recv)
    assert "self.in_buffer.feed(s)" in inspect.getsource(Channel._feed)
    pipe = BufferedPipe()
    for name in ("_lock", "_cv", "_event", "_closed", "_buffer"):
        assert hasattr(pipe, name), name
    assert list(inspect.signature(BufferedPipe._buffer_tobytes).parameters) == ["self", "limit"]
    # TunedSFTPServer._read_all replaces paramiko's, which every request goes through.
    assert list(inspect.signature(SFTPServer._read_all).parameters) == ["self", "n"]
    read_packet = inspect.getsource(BaseSFTP._read_packet)
    assert "self._read_all(4)" in read_packet and "self._read_all(size)" in read_packet


def test_status_with_message_is_still_the_plain_code():
    status = StatusWithMessage(paramiko.sftp.SFTP_FAILURE, "Storage quota exceeded")
    assert status == paramiko.sftp.SFTP_FAILURE
    assert status.message == "Storage quota exceeded"


def test_the_ciphers_settings_accept_are_the_ones_paramiko_offers():
    # `[sftp] ciphers` is validated against core's copy of paramiko's list (the settings load
    # without paramiko); an upgrade that adds or drops a cipher must update that copy.
    assert paramiko_ciphers() == SSH_CIPHERS, (
        f"paramiko {paramiko.__version__} offers {paramiko_ciphers()}: update SSH_CIPHERS in "
        "core/settings/sftp.py"
    )
    assert "self._transport._preferred_ciphers" in inspect.getsource(
        paramiko.transport.SecurityOptions.ciphers.fget
    ), "SecurityOptions.ciphers no longer reads Transport._preferred_ciphers"


def test_the_macs_and_ciphers_we_offer_are_ones_paramiko_knows():
    # SecurityOptions' setters refuse names paramiko does not know; say so before a camera does.
    assert set(MODERN_SSH_MACS + LEGACY_SSH_MACS) <= set(paramiko.Transport._mac_info)
    assert set(MODERN_SSH_CIPHERS) <= set(SSH_CIPHERS)


def test_finishing_the_subsystem_still_closes_the_channel_after_our_exit_status():
    # TunedSFTPServer.finish_subsystem sends the exit status scp waits for, then lets paramiko
    # close the channel (SubsystemHandler.finish_subsystem).
    assert "super().finish_subsystem()" in inspect.getsource(SFTPServer.finish_subsystem)
    assert "self.__channel.close()" in inspect.getsource(
        paramiko.server.SubsystemHandler.finish_subsystem
    )
    assert "self.sock.send_exit_status(0)" in inspect.getsource(TunedSFTPServer.finish_subsystem)


def test_what_offer_legacy_algorithms_sets_is_still_what_paramiko_reads():
    from paramiko import RSAKey, Transport
    from paramiko.kex_group14 import KexGroup14SHA256

    from ingestd.sftp.protocol import KexGroup14SHA1, LegacyRSAKey

    # Per-transport lists and the kex table, read through self in the negotiation.
    parse = inspect.getsource(Transport._parse_kex_init)
    assert "self.preferred_kex" in parse and "self.preferred_keys" in parse
    assert "self._kex_info[" in parse
    # ... which filter the transport's own _preferred_kex / _preferred_keys.
    filtering = inspect.getsource(Transport._filter_algorithm)
    assert 'getattr(self, "_preferred_{}".format(type_))' in filtering
    # The group-14 exchange hashes with its class's hash_algo; RSA signs through HASHES.
    assert "self.hash_algo(" in inspect.getsource(KexGroup14SHA256)
    assert "self.HASHES[algorithm]" in inspect.getsource(RSAKey.sign_ssh_data)
    assert KexGroup14SHA1.hash_algo().name == "sha1"
    assert "ssh-rsa" in LegacyRSAKey.HASHES and "ssh-rsa" not in RSAKey.HASHES


def test_what_the_camera_page_reads_of_a_transport_is_still_set_during_key_exchange():
    # ingestd.sftp.protocol.remember_agreed_kex / negotiated_algorithms.
    parse = inspect.getsource(paramiko.Transport._parse_kex_init)
    assert "self.kex_engine = self._kex_info[agreed_kex[0]](self)" in parse
    assert "self.host_key_type = agreed_keys[0]" in parse
    assert "self.local_cipher = agreed_local_ciphers[0]" in parse
    assert "self.local_mac = agreed_local_macs[0]" in parse
    assert isinstance(paramiko.Transport._kex_info, dict)
