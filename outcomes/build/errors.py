"""The errors a build raises before or after its objects: nothing was swapped in.

A failing definition is no error: it is recorded as ``failed`` in the build's result.

>>> issubclass(RawStoreMissing, BuildError)
True
"""

from __future__ import annotations

from outcomes.errors import OutcomesError


class BuildError(OutcomesError, RuntimeError):
    """The build could not start or finish; nothing was swapped in."""


class RawStoreMissing(BuildError, FileNotFoundError):
    """No raw store, or one without raw tables."""
