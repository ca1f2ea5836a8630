"""Domain errors of the service. They know nothing of HTTP: the router maps them."""


class DomainError(Exception):
    """Base of the errors a caller of the service can cause."""


class NotFoundError(DomainError):
    """The Order (or OrderLine) asked for does not exist."""


class ConflictError(DomainError):
    """The change breaks a uniqueness or integrity rule, e.g. a repeated reference."""


class MissingReferenceError(DomainError):
    """The data refers to a row (by a foreign key) that does not exist."""
