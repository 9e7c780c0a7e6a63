"""AlarmVault pipeline: the daemon that turns completed uploads into recordings.

Media probing, the camera signature checks, the 18 s rule and fair use, detection, scheduled
jobs and notifications live here. It imports the shared `core` and never `ingestd` or `webui`
(checked by import-linter, see `.importlinter`).
"""

# The pipeline's threads tell of a lost catalog together: one outage, one warning
# (`core.catalog.reconnect.outage_log`).
CATALOG_SUBJECT = "pipeline"
