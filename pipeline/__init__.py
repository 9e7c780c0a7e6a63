"""AlarmVault pipeline: the daemon that turns completed uploads into recordings.

Media probing, the camera signature checks, the 18 s rule and fair use, detection, scheduled
jobs and notifications live here. It imports the shared `core` and never `ingestd` or `webui`
(checked by import-linter, see `.importlinter`).
"""
