"""Helpers for the async/await course: timelines of real runs, and exercise checks.

Import it from a notebook in ``notebooks/`` (the kernel starts there)::

    from asynclab import timeline, check
"""

from . import check, timeline
from .explore import explore
from .timeline import measure, show

__all__ = ["check", "explore", "measure", "show", "timeline"]
