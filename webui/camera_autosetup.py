"""'Set up this camera for me' - on a LAN install the owner gives the camera's address and admin
login once; AlarmVault writes the upload settings into the camera through its CGI, then runs
the camera's own upload test.

The camera gets a NEW upload password, made here and written straight into the camera: it is
never shown, and stored only as a hash once the camera has accepted it (if the camera refuses
the settings, the old password stays valid and nothing changes). The admin login is stored
sealed, as on the Integrations page, so the live view works from then on.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from enum import StrEnum

from flask_babel import gettext

from core.camera_cgi import (
    CameraClient,
    CameraError,
    CameraLogin,
    CameraLoginRefused,
    CameraTimeout,
    CameraUnreachable,
    dialect_for_model,
)
from core.catalog.cameras import set_camera_password
from core.settings import Settings
from core.settings.api import listens_inside
from webui.api.camera_link import camera_policy
from webui.api.cameras import CameraAccessBody, seal_camera_access
from webui.camera_setup import ProtocolSetup
from webui.db import get_db

logger = logging.getLogger(__name__)


class SetupOutcome(StrEnum):
    TESTED = "tested"  # settings written, and the camera's upload test worked
    TEST_FAILED = "test_failed"  # settings written, the camera's upload test did not work
    REFUSED = "refused"  # the camera did not take the settings: nothing changed


@dataclass(frozen=True)
class SetupResult:
    outcome: SetupOutcome
    protocol: str
    reason: str = ""  # `reason_for_owner` (CameraError messages are safe to show)

    @property
    def ok(self) -> bool:
        return self.outcome == SetupOutcome.TESTED

    def message(self) -> str:
        if self.outcome == SetupOutcome.TESTED:
            return gettext(
                "Done: the camera uploads by %(protocol)s now, and its own upload test reached "
                "AlarmVault.",
                protocol=self.protocol,
            )
        if self.outcome == SetupOutcome.TEST_FAILED:
            return gettext(
                "The camera took the %(protocol)s settings, but its own upload test failed: "
                "%(reason)s.",
                protocol=self.protocol,
                reason=self.reason,
            )
        return gettext(
            "The camera did not take the settings: %(reason)s. Nothing was changed.",
            reason=self.reason,
        )


def reason_for_owner(error: CameraError) -> str:
    """What went wrong, in the page's language: the failures AlarmVault knows in its own words,
    anything else as the camera put it (what it answered)."""
    if isinstance(error, CameraTimeout):
        return gettext("the camera did not answer in time")
    if isinstance(error, CameraLoginRefused):
        return gettext("the camera refused the administrator login")
    if isinstance(error, CameraUnreachable):
        return gettext("the camera cannot be reached (are its address and port right?)")
    return str(error)


def is_lan_install(settings: Settings) -> bool:
    """Cameras on the owner's own network can be reached: the web UI listens inside it, or the
    admin allowed LAN camera addresses."""
    return listens_inside(settings.web.listen) or "lan" in (settings.api.camera_networks or [])


def write_and_test(
    settings: Settings,
    camera: dict,
    access: CameraAccessBody,
    setup: ProtocolSetup,
    password: str,
) -> SetupResult:
    """Write ``setup`` (made by `upload_setups` with ``password``) into the camera, then store
    the password's hash and the sealed login, then run the camera's upload test."""
    dialect = access.dialect or dialect_for_model(camera["model"])
    client = CameraClient(
        CameraLogin(
            address=access.address.strip(),
            username=access.username,
            password=access.password,
            dialect=dialect,
            verify_tls=access.verify_tls,
        ),
        timeout=settings.api.camera_timeout_s,
        policy=camera_policy(),
    )
    try:
        client.set_upload(setup.cgi_values())
    except CameraError as error:
        logger.info("camera %d set-up refused by the camera: %s", camera["id"], error)
        return SetupResult(SetupOutcome.REFUSED, setup.title, reason_for_owner(error))
    set_camera_password(get_db(), camera["id"], password)
    seal_camera_access(camera, access)
    logger.info("camera %d upload settings written (%s)", camera["id"], setup.key)
    try:
        client.run_upload_test()
    except CameraError as error:
        logger.info("camera %d upload test failed: %s", camera["id"], error)
        return SetupResult(SetupOutcome.TEST_FAILED, setup.title, reason_for_owner(error))
    logger.info("camera %d upload test passed", camera["id"])
    return SetupResult(SetupOutcome.TESTED, setup.title)
