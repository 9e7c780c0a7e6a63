"""The camera signature: is an upload a genuine video from a registered, supported camera?"""

from pipeline.signature.verdict import UploadVerdict

__all__ = ["UploadVerdict"]
