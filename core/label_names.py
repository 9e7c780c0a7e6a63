"""What the detection labels are called on pages and in mails (message ids, worded for the
reader; docs/cameras.md, Detection)."""

from __future__ import annotations

from core.translation import N_

LABEL_NAMES = {
    "person": N_("Person"),
    "vehicle": N_("Vehicle"),
    "animal": N_("Animal"),
    "plate": N_("Licence plate"),
    "rain": N_("Rain"),
    "false_alarm": N_("False alarm"),
}
