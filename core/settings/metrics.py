"""The Prometheus endpoint, served by the pipeline daemon."""

from __future__ import annotations

from pydantic import Field

from core.settings.base import StrictModel, listen_validator, parse_listen


class MetricsSettings(StrictModel):
    enabled: bool = Field(False, description="Serve Prometheus metrics from the pipeline daemon.")
    listen: str = Field(
        "127.0.0.1:9108", description="HOST:PORT for /metrics; keep it on loopback or a LAN."
    )

    _check_listen = listen_validator("listen")

    @property
    def address(self) -> tuple[str, int]:
        return parse_listen(self.listen)
