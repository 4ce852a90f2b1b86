"""The one exception type for user errors: the CLI prints its message on one line and exits 2."""


class GenlensError(Exception):
    """A problem with the user's input (spec, file, argument), not a bug."""
