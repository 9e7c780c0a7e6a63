"""The language a user reads pages and mails in, and what a notice needs to be told in it.

``users.language`` is NULL on an upgraded catalog: the browser's language is taken at the next
login. ``notices.params`` holds what a notice is about (camera, figures, advice keys), so it is
worded in the owner's language when shown or mailed; NULL for older notices, which keep their
stored English text.
"""

import sqlite_utils

SCHEMA = """
ALTER TABLE users ADD COLUMN language TEXT;
ALTER TABLE notices ADD COLUMN params TEXT
"""


def apply(db: sqlite_utils.Database) -> None:
    for statement in SCHEMA.split(";\n"):
        if statement.strip():
            db.execute(statement)
