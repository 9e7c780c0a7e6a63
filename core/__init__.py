"""AlarmVault's shared core: what the upload server, the pipeline and the web UI all need.

Settings, the catalog (schema, migrations, queries), the spool contract, security and
credentials, mail and mail links, time helpers, camera models and the camera CGI client, clip
files, account removal and the detection result types. It imports none of `ingestd`,
`pipeline`, `webui` or `cli` (checked by import-linter, see `.importlinter`).
"""
