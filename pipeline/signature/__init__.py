"""The camera signature: is an upload a genuine video from a registered, supported camera?"""

from pipeline.signature.verdict import Verdict

__all__ = ["Verdict"]
