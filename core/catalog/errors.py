"""Small named exceptions, checked by type in callers and tests."""


class CatalogError(Exception):
    """Base class of catalog errors."""


class NotFound(CatalogError):
    """The row asked for does not exist (or is not the caller's)."""


class AlreadyExists(CatalogError):
    """A row with that unique key exists already."""


class ClaimLost(CatalogError):
    """The worker's claim on a job is gone (its lease ran out and another worker took the job
    over): what it did with the job must not be recorded. Raised inside the transaction of the
    write, which is rolled back."""

    def __init__(self, job_id: str, worker: str) -> None:
        super().__init__(f"job {job_id} is no longer held by {worker}")
        self.job_id = job_id
        self.worker = worker
