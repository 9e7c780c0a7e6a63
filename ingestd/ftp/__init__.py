"""FTP and FTPS for cameras (pyftpdlib).

`pyftpdlib_adapter` holds every use of pyftpdlib's private or fragile internals, with the reason
for each; the rest of ingestd uses pyftpdlib only through that module and its public hooks.
"""
