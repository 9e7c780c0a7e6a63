"""The connections every ingest node holds open, counted together (per-address limits across a
cluster), and each node's heartbeat, so that the connections of a node that died stop counting
(`ingestd.connection_limits`).

Created on both engines, used only on PostgreSQL: a SQLite catalog serves one node, whose
workers count their connections in ingestd's own SQLite file (the same two tables there).
"""

import sqlite_utils

SCHEMA = """
CREATE TABLE ingest_connections (
    id TEXT PRIMARY KEY,
    node TEXT NOT NULL,
    worker INTEGER NOT NULL,
    protocol TEXT NOT NULL,
    address TEXT NOT NULL
);
CREATE INDEX idx_ingest_connections_address ON ingest_connections(protocol, address);
CREATE INDEX idx_ingest_connections_holder ON ingest_connections(node, worker);
CREATE TABLE ingest_heartbeats (
    node TEXT NOT NULL,
    worker INTEGER NOT NULL,
    seen_at REAL NOT NULL,
    PRIMARY KEY (node, worker)
)
"""


def apply(db: sqlite_utils.Database) -> None:
    for statement in SCHEMA.split(";\n"):
        if statement.strip():
            db.execute(statement)
