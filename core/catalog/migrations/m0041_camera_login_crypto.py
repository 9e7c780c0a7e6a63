"""camera_login_crypto: the algorithms a camera's last login used (shown on the camera page),
so that the owner can tell whether it needs the settings for old firmware."""

import sqlite_utils


def apply(db: sqlite_utils.Database) -> None:
    db.execute(SCHEMA)


# One row per camera, replaced at each login whose algorithms differ. tls_* for FTPS, ssh_* for
# SFTP; plain FTP leaves both empty.
SCHEMA = """
CREATE TABLE camera_login_crypto (
    camera_id INTEGER PRIMARY KEY REFERENCES cameras(id) ON DELETE CASCADE,
    protocol TEXT NOT NULL,
    tls_version TEXT,
    tls_cipher TEXT,
    ssh_kex TEXT,
    ssh_cipher TEXT,
    ssh_mac TEXT,
    ssh_host_key_type TEXT,
    seen_at TEXT NOT NULL
)
"""
