"""Deprecated alias of :mod:`prime_rs.task`: the task objective's module was renamed so that it
no longer collides with the training loss (:mod:`prime_rs.train.objective`). Import from
``prime_rs.task``. This name is the same module object, so attributes set on either are seen
through both."""

from __future__ import annotations

import sys

from prime_rs import task as _task

sys.modules[__name__] = _task
