"""The camera model table: which frame sizes, rates, codecs and containers a model produces."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# The table shipped with AlarmVault (config/ beside the packages, or /etc/alarmvault when
# installed, where install.sh copies it).
BUILTIN_TABLE = Path(__file__).resolve().parent.parent / "config" / "camera_models.toml"
INSTALLED_TABLE = Path("/etc/alarmvault/camera_models.toml")


class UnknownModel(ValueError):
    """The camera model is not in the table."""


@dataclass(frozen=True)
class CameraModel:
    name: str
    series: str
    sizes: frozenset[tuple[int, int]]
    fps_range: tuple[float, float]
    codecs: frozenset[str]
    containers: frozenset[str]
    sftp: bool
    # Sizes of the JPEG snapshots it uploads with an alarm: its streams' frame sizes unless
    # the table says otherwise.
    snapshot_sizes: frozenset[tuple[int, int]] = frozenset()

    def produces_size(self, width: int, height: int) -> bool:
        return (width, height) in self.sizes

    def produces_snapshot_size(self, width: int, height: int) -> bool:
        return (width, height) in (self.snapshot_sizes or self.sizes)

    def produces_fps(self, fps: float) -> bool:
        low, high = self.fps_range
        # Cameras round their rate; a measured 25.02 fps is still 25.
        return low - 0.5 <= fps <= high + 0.5


def _parse_size(text: str) -> tuple[int, int]:
    width, _, height = text.lower().partition("x")
    return int(width), int(height)


def load_model_table(*paths: Path | None) -> dict[str, CameraModel]:
    """Models from the built-in table, then each extra file (later files add or override)."""
    base = BUILTIN_TABLE if BUILTIN_TABLE.is_file() else INSTALLED_TABLE
    table: dict[str, CameraModel] = {}
    # Series accumulate across files, so an admin's file may add a model to a built-in series.
    series: dict[str, dict[str, Any]] = {}
    for path in (base, *paths):
        if path is None:
            continue
        with Path(path).open("rb") as handle:
            data = tomllib.load(handle)
        series.update(data.get("series", {}))
        for name, series_name in data.get("models", {}).items():
            if series_name not in series:
                raise ValueError(f"{path}: model {name} names unknown series {series_name!r}")
            spec = series[series_name]
            if "sizes" not in spec:
                raise ValueError(f"{path}: series {series_name!r} lists no sizes")
            low, high = spec.get("fps", [1, 30])
            table[name] = CameraModel(
                name=name,
                series=series_name,
                sizes=frozenset(_parse_size(size) for size in spec["sizes"]),
                fps_range=(float(low), float(high)),
                codecs=frozenset(spec.get("codecs", ["h264"])),
                containers=frozenset(spec.get("containers", ["mp4"])),
                sftp=bool(spec.get("sftp", False)),
                snapshot_sizes=frozenset(
                    _parse_size(size) for size in spec.get("snapshot_sizes", [])
                ),
            )
    return table


def get_model(table: dict[str, CameraModel], name: str) -> CameraModel:
    try:
        return table[name]
    except KeyError:
        known = ", ".join(sorted(table))
        raise UnknownModel(f"unknown camera model {name!r}; known models: {known}") from None
