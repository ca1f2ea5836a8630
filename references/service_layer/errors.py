"""Domain errors of the service. They know nothing of HTTP: app.py maps them."""


class DomainError(Exception):
    """Base of the errors a caller of the service can cause."""


class NotFoundError(DomainError):
    """The Order (or OrderLine) asked for does not exist."""


class ConflictError(DomainError):
    """The change breaks a uniqueness or integrity rule, e.g. a repeated reference."""
