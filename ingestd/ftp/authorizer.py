"""Which FTP commands a logged-in camera may use (pyftpdlib's authorizer interface).

Logins themselves go through the one credential store both protocols share
(`ingestd.credentials.CameraCredentials`, called from `handlers.CameraFTPHandler.ftp_PASS`);
this answers pyftpdlib's permission questions only.
"""

from __future__ import annotations

# FTP permission letters a camera gets (pyftpdlib's alphabet): e=CWD, l=LIST/SIZE inside its jail,
# m=MKD, w=STOR, a=APPE, d=DELE, f=RNFR/RNTO, T=MFMT (rclone sets the time of every upload and
# sends it again when that fails). Never r (RETR) or M (chmod).
UPLOAD_PERMISSIONS = "elmwadfT"


class CameraFTPAuthorizer:
    """pyftpdlib's authorizer interface. Logins go through `CameraCredentials` (see handlers);
    this only answers permission questions: every camera has the same upload-only letters."""

    def has_user(self, username: str) -> bool:
        return True

    def has_perm(self, username: str, perm: str, path: str | None = None) -> bool:
        return perm in UPLOAD_PERMISSIONS

    def get_perms(self, username: str) -> str:
        return UPLOAD_PERMISSIONS

    def get_home_dir(self, username: str) -> str:
        raise NotImplementedError("the jail comes from the login, see CameraFTPHandler")

    def get_msg_login(self, username: str) -> str:
        return "Logged in; upload only."

    def get_msg_quit(self, username: str) -> str:
        return "Goodbye."

    def impersonate_user(self, username: str, password: str) -> None:
        """Cameras are virtual users; the server never changes its OS identity."""

    def terminate_impersonation(self, username: str) -> None:
        """See `impersonate_user`."""
