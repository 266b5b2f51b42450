"""Placeholder until the simulator module lands (in development on a branch)."""

EDGETPU_REFERENCE = None
SimResult = None


def simulate(designs, workload, threads=None):
    raise NotImplementedError


def area(designs):
    raise NotImplementedError
