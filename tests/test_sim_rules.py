"""The feasibility rules are one native table: the reason names derive from it, and both
reference simulators check designs by iterating its export rather than restating the rules."""

from __future__ import annotations

import numpy as np
import pytest

import prime_rs
from prime_rs import SPACE, _native
from prime_rs.reference import _common, simulate_numpy, simulate_python
from prime_rs.simulator import REASONS

RULES = _native.sim.rules()
TABLE = _common.rules()


def test_reason_names_and_codes_derive_from_the_table() -> None:
    assert REASONS == ("", *(name for _, name, *_ in RULES))
    assert [code for code, *_ in RULES] == list(range(1, len(RULES) + 1))
    for _, _, requirement, resource, doc in RULES:
        assert requirement and doc
        assert SPACE.params[SPACE.index(resource)].unit in ("bytes", "entries")


def test_the_references_read_the_value_table_from_the_space() -> None:
    assert tuple(_common.PARAM_VALUES) == tuple(p.values for p in SPACE.params)


@pytest.mark.parametrize("simulate", [simulate_numpy, simulate_python])
def test_the_references_iterate_the_exported_rules(
    simulate, monkeypatch: pytest.MonkeyPatch
) -> None:
    designs = SPACE.sample(300, seed=8)
    native = prime_rs.simulate(designs, "unet")
    assert len(set(native.reason.tolist())) > 2
    # Checked in reverse order, the last failing rule wins: the references follow the table.
    monkeypatch.setattr(_common, "rules", lambda: tuple(reversed(TABLE)))
    got = simulate(designs, "unet")
    assert np.array_equal(got.feasible, native.feasible)
    assert not np.array_equal(got.reason, native.reason)
    # Without rules every design is feasible.
    monkeypatch.setattr(_common, "rules", tuple)
    assert simulate(designs, "unet").feasible.all()


def test_a_rule_the_references_cannot_compute_is_a_clear_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    extra = _common.Rule(9, "weights_mem", "resident_weight_bytes", 4)
    monkeypatch.setattr(_common, "rules", lambda: (*TABLE, extra))
    with pytest.raises(NotImplementedError, match="resident_weight_bytes"):
        simulate_numpy(SPACE.sample(3, seed=1), "mobilenet_v2")
