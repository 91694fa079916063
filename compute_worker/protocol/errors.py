"""The one error type of the contract."""


class ProtocolError(ValueError):
    """A message, reference or name that does not follow the contract; the text says why."""
