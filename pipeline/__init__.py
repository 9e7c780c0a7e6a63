"""AlarmVault pipeline: settings, catalog, and the daemon that turns uploads into recordings.

`ingestd` and `webui` import from here; this package never imports from them.
"""
