"""The folders inside camera jails: how many and how deep, and removing the empty ones.

Cameras create folders (day folders, ``MKD a/b/c``) and the clips in them leave at once, so the
folders stay behind, empty. ingestd counts them against a camera's limits (`folder_count`,
`subtree_depth`) and removes the ones a session's handovers left (`remove_empty_folders`); the
pipeline's upkeep job sweeps what is left (`sweep_empty_folders`). Neither ever removes a
camera's jail itself, a folder that still holds anything, or anything through a symlink.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path


def folder_count(root: str, stop_at: int) -> int:
    """How many folders lie below ``root`` (symlinks not followed), counting stops at
    ``stop_at``: a camera's limit bounds the work of every check."""
    count = 0
    pending = [root]
    while pending and count < stop_at:
        with contextlib.suppress(OSError), os.scandir(pending.pop()) as entries:
            for entry in entries:
                if entry.is_dir(follow_symlinks=False):
                    count += 1
                    pending.append(entry.path)
    return min(count, stop_at)


def subtree_depth(folder: str) -> int:
    """Levels of folders below ``folder`` (0: none), symlinks not followed."""
    deepest = 0
    pending = [(folder, 0)]
    while pending:
        path, depth = pending.pop()
        deepest = max(deepest, depth)
        with contextlib.suppress(OSError), os.scandir(path) as entries:
            pending.extend(
                (entry.path, depth + 1) for entry in entries if entry.is_dir(follow_symlinks=False)
            )
    return deepest


def remove_empty_folders(jail: str, folder: str) -> int:
    """Remove ``folder`` if empty, then each empty parent up to (never including) ``jail``.

    Returns how many were removed. A folder that is not empty, or that another client just
    filled, stays: ``rmdir`` removes only an empty folder, atomically.
    """
    root = os.path.realpath(jail)
    current = os.path.normpath(folder)
    removed = 0
    while current.startswith(root + os.sep) and not os.path.islink(current):
        try:
            os.rmdir(current)
        except OSError:
            break
        removed += 1
        current = os.path.dirname(current)
    return removed


def sweep_empty_folders(uploads_dir: Path, older_than: float) -> int:
    """Remove every empty folder inside the jails under ``uploads_dir`` that was last changed
    at or before ``older_than`` (epoch seconds); returns how many.

    Each folder's age is read before anything is removed, so a tree of old empty folders goes
    in one sweep (removing a child would make its parent look new). The age keeps a folder that
    a camera created a moment ago for its next upload.
    """
    removed = 0
    if not uploads_dir.is_dir():
        return 0
    for jail in uploads_dir.iterdir():
        if jail.is_symlink() or not jail.is_dir():
            continue
        # Top-down (parents first) with each one's age; removed in reverse, children first.
        folders: list[tuple[str, float]] = []
        for folder, _, _ in os.walk(jail):
            if folder != str(jail):
                with contextlib.suppress(OSError):
                    folders.append((folder, os.lstat(folder).st_mtime))
        for folder, changed_at in reversed(folders):
            if changed_at > older_than:
                continue
            with contextlib.suppress(OSError):  # not empty (any more): it stays
                os.rmdir(folder)
                removed += 1
    return removed
