"""Oracles: the one seam through which designs are evaluated in a world (docs/design.md section 9).

An oracle evaluates a batch of (design, application) pairs and returns latency, area,
feasibility and a reason for each pair. Everything that counts as a *simulator call* goes
through one: verifying proposals, re-evaluating D(best), the reference design, the
simulator-driven baselines, ``compare``. The base class :class:`Oracle` owns what every oracle
shares, so implementations only say how to evaluate a batch:

- **calls**: one call is one design evaluated (on however many applications were asked for
  together), the unit the baselines' budgets and PRIME's "K simulations" are counted in;
- **cache**: a (design, application) pair already evaluated is answered from memory, and a
  design all of whose pairs are cached is a hit, not a call;
- **batches and jobs**: new pairs are evaluated in batches of at most ``batch_size`` designs,
  up to ``jobs`` batches at once; results come back in input order whatever ``jobs`` is.

Implementations: :class:`BuiltinOracle` (the native simulator, the default world),
:class:`CallableOracle` (a Python function, for a user's simulator wrapped in Python),
:class:`CommandOracle` (an external command speaking the CSV protocol) and :class:`NoOracle`
(evaluates nothing: proposals without verification). :func:`oracle_from_spec` turns the CLI's
``--oracle`` value into one of them.
"""

from prime_rs.oracles._base import Oracle, OracleResult, check_raw_result
from prime_rs.oracles.builtin import BuiltinOracle
from prime_rs.oracles.callable import CallableOracle
from prime_rs.oracles.command import CommandOracle
from prime_rs.oracles.spec import NO_ORACLE, NoOracle, oracle_from_spec

__all__ = [
    "NO_ORACLE",
    "BuiltinOracle",
    "CallableOracle",
    "CommandOracle",
    "NoOracle",
    "Oracle",
    "OracleResult",
    "check_raw_result",
    "oracle_from_spec",
]
