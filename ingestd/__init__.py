"""ingestd: the upload server cameras talk to (FTP, FTPS and SFTP).

A completed upload is handed to the pipeline through `core.spool`; nothing else of the
pipeline is imported here except the settings and the catalog.
"""
