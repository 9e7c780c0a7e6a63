"""AlarmVault pipeline: the daemon that turns uploads into recordings.

Media, signature checks, fair use, detection, the scheduled jobs and the integrations live here;
settings and the catalog are in `core`. `ingestd` and `webui` never import this package (see
docs/architecture.md, Layers).
"""
