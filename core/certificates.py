"""What an FTPS certificate is valid for: read by ingestd (is the generated one still right?) and
by the web UI (which server name must a verifying camera be given?)."""

from __future__ import annotations

from pathlib import Path

from cryptography import x509


def names_in_certificate(cert: Path) -> set[str]:
    """The DNS names and addresses a PEM certificate's subjectAltName lists (lower case)."""
    certificate = x509.load_pem_x509_certificate(cert.read_bytes())
    try:
        alternative = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName)
    except x509.ExtensionNotFound:
        return set()
    names = {name.lower() for name in alternative.value.get_values_for_type(x509.DNSName)}
    addresses = alternative.value.get_values_for_type(x509.IPAddress)
    return names | {str(address) for address in addresses}
