"""Domain errors. Each maps to one HTTP status in one exception handler (see the API)."""


class DomainError(Exception):
    """Base of the errors a service raises on a refused request."""


class InvalidTransition(DomainError):
    """The workflow does not allow this status change."""

    def __init__(self, from_status: str, to_status: str, allowed: tuple[str, ...], why: str = ""):
        self.from_status, self.to_status, self.allowed = from_status, to_status, allowed
        allowed_text = ", ".join(allowed) or "none"
        reason = why or f"the workflow allows: {allowed_text}"
        super().__init__(f"cannot move from {from_status} to {to_status}: {reason}")


class RecordLocked(DomainError):
    """The record may not be changed this way (a status change, a cited source...)."""


class AlreadyDecided(DomainError):
    """A suggested link was accepted or dismissed already: a decision is made once."""

    def __init__(self, candidate_id: int, status: str):
        self.candidate_id, self.status = candidate_id, status
        super().__init__(f"Candidate #{candidate_id} was already {status}.")
