"""The exact upload settings a customer types into the camera, per protocol.

What each camera field means: docs/cameras.md, Upload settings in the camera.
"""

from __future__ import annotations

import ipaddress
import logging
from dataclasses import dataclass
from urllib.parse import urlsplit

from flask_babel import gettext

from core.camera_models import CameraModel
from core.certificates import names_in_certificate
from core.settings import Settings, parse_listen

logger = logging.getLogger(__name__)

# Folder the camera writes into; with ft_dirmode 1 it adds one folder per day below it.
UPLOAD_FOLDER = "alarmvault"
_ANY_HOST = {"0.0.0.0", "::", ""}  # noqa: S104 - compared against, not bound


@dataclass(frozen=True)
class ProtocolSetup:
    key: str  # ftp, ftps, sftp
    title: str
    note: str
    fields: list[tuple[str, str, str]]  # (label in the camera's web UI, CGI name, value)

    def cgi_values(self) -> dict[str, str]:
        """What "set up this camera for me" writes through the CGI: each field's value without
        its explanation in brackets. Not ``ft_mode``: the camera keeps its own, since the
        server takes PASV, EPSV and PORT alike (and the wiki contradicts itself on the values).
        """
        return {cgi: value.split(" (", 1)[0] for _, cgi, value in self.fields if cgi != "ft_mode"}


def server_address(settings: Settings, request_host: str) -> str:
    """What the camera must reach: NAT address, else the public URL's host, else the listener."""
    if settings.ftp.masquerade_address:
        return settings.ftp.masquerade_address
    if settings.web.public_url:
        host = urlsplit(settings.web.public_url).hostname
        if host:
            return host
    host, _ = parse_listen(settings.ftp.listen)
    if host in _ANY_HOST:
        return request_host.rsplit(":", 1)[0].strip("[]")
    return host


@dataclass(frozen=True)
class FtpsServer:
    """Which server name an FTPS camera is given, and whether it can verify the certificate."""

    name: str
    verify: bool
    certificate_names: list[str]


def ftps_server(settings: Settings, server: str) -> FtpsServer:
    """With an admin's certificate (one a camera can verify) the camera must connect by a name
    the certificate is valid for: ``server`` if it is one, else the certificate's first DNS name.
    The generated certificate is self-signed: cameras cannot verify it (ft_insecure=1)."""
    if not settings.ftp.tls_cert:
        return FtpsServer(server, verify=False, certificate_names=[])
    try:
        names = names_in_certificate(settings.ftp.tls_cert)
    except (OSError, ValueError) as error:
        logger.warning("cannot read the FTPS certificate %s: %s", settings.ftp.tls_cert, error)
        return FtpsServer(server, verify=False, certificate_names=[])
    # DNS names first (what certificates from a public CA name), then addresses.
    listed = sorted(names, key=lambda name: (_is_address(name), name))
    if server.lower() in names:
        return FtpsServer(server, verify=True, certificate_names=listed)
    usable = [name for name in listed if not _is_address(name) and "*" not in name]
    usable = [name for name in usable if name != "localhost"]
    if not usable:
        return FtpsServer(server, verify=False, certificate_names=listed)
    return FtpsServer(usable[0], verify=True, certificate_names=listed)


def _is_address(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


def upload_setups(
    settings: Settings,
    camera: dict,
    model: CameraModel | None,
    password: str | None,
    request_host: str,
) -> list[ProtocolSetup]:
    server = server_address(settings, request_host)
    shown_password = password or gettext(
        "(the password shown when the camera was added or rotated)"
    )
    _, ftp_port = parse_listen(settings.ftp.listen)
    common = [
        (gettext("Username"), "ft_username", camera["username"]),
        (gettext("Password"), "ft_password", shown_password),
        (gettext("Directory"), "ft_dirname", UPLOAD_FOLDER),
        (gettext("Create directory"), "ft_autocreatedir", gettext("1 (on)")),
        (gettext("Directory mode"), "ft_dirmode", gettext("1 (a new folder every day)")),
    ]
    setups = []
    if settings.ftp.enabled:
        ftp_fields = [
            (gettext("FTP server"), "ft_server", server),
            (gettext("FTP port"), "ft_port", str(ftp_port)),
        ]
        if not settings.ftp.require_tls:
            setups.append(
                ProtocolSetup(
                    "ftp",
                    "FTP",
                    gettext(
                        "Works with every camera, but the password and clips travel "
                        "unencrypted: use it only inside your own network."
                    ),
                    [
                        *ftp_fields,
                        (gettext("SSL"), "ft_ssl", gettext("0 (none)")),
                        (gettext("Passive mode"), "ft_mode", "PASV"),
                        *common,
                    ],
                )
            )
        ftps = ftps_server(settings, server)
        note = gettext("Encrypted; recommended for Full HD and HD cameras.")
        if ftps.certificate_names:
            note += " " + gettext(
                "The server's certificate is valid for %(names)s. The camera checks it against "
                "the server name, so enter %(server)s as the FTP server.",
                names=", ".join(ftps.certificate_names),
                server=ftps.name,
            )
        insecure = (
            gettext("0 (verify)") if ftps.verify else gettext("1 (our certificate is self-signed)")
        )
        setups.append(
            ProtocolSetup(
                "ftps",
                "FTPS (FTP with TLS)",
                note,
                [
                    (gettext("FTP server"), "ft_server", ftps.name),
                    (gettext("FTP port"), "ft_port", str(ftp_port)),
                    (gettext("SSL"), "ft_ssl", gettext("1 (FTPS, explicit TLS)")),
                    (gettext("Allow insecure certificate"), "ft_insecure", insecure),
                    (gettext("Passive mode"), "ft_mode", "PASV"),
                    *common,
                ],
            )
        )
    if settings.sftp.enabled and (model is None or model.sftp):
        _, sftp_port = parse_listen(settings.sftp.listen)
        setups.append(
            ProtocolSetup(
                "sftp",
                "sFTP",
                gettext("Encrypted over SSH; only WQHD (2K+) cameras offer it."),
                [
                    (gettext("FTP server"), "ft_server", server),
                    (gettext("FTP port"), "ft_port", str(sftp_port)),
                    (gettext("SSL"), "ft_ssl", gettext("2 (sFTP)")),
                    *common,
                ],
            )
        )
    return setups
