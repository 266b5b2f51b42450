"""Worlds: what produced a dataset's metrics (docs/design.md section 9).

A dataset records its world in its metadata, so numbers from different simulators are never
mixed or verified against each other by accident:

- **builtin**: prime-rs's own simulator, identified by a fingerprint of its model
  (:func:`builtin_fingerprint`); its latencies are milliseconds and its area model is analytic;
- **external**: anything else (the PRIME release, a user's simulator, fabricated chips), with
  the source it came from. Its latency unit is whatever the source logged ("ms" unless the
  import said otherwise) and its area constraint is a model fitted to its logged areas.

Metadata keys (Parquet key-value metadata, beside the other ``prime_rs.*`` provenance):
``prime_rs.world`` ("builtin" or "external"), ``prime_rs.world_source``,
``prime_rs.simulator_fingerprint`` (builtin only), ``prime_rs.latency_unit`` and
``prime_rs.data_only_applications`` (comma-separated names with no prime-rs workload).
Files written before worlds were recorded are read as builtin when prime-rs generated them and
as external otherwise.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from prime_rs.errors import InvalidArgumentError

__all__ = [
    "BUILTIN",
    "EXTERNAL",
    "World",
    "builtin_fingerprint",
    "check_latency_unit",
    "data_only_applications",
    "world_of",
]

BUILTIN = "builtin"
EXTERNAL = "external"
DEFAULT_LATENCY_UNIT = "ms"

KEY_WORLD = "prime_rs.world"
KEY_SOURCE = "prime_rs.world_source"
KEY_FINGERPRINT = "prime_rs.simulator_fingerprint"
KEY_UNIT = "prime_rs.latency_unit"
KEY_DATA_ONLY = "prime_rs.data_only_applications"


def builtin_fingerprint() -> str:
    """The fingerprint of the built-in simulator's model: the one place it is read from.

    Two datasets with the same fingerprint were produced by the same model: it hashes the
    model's constants, rules and revision (``prime_rs.simulator.FINGERPRINT``)."""
    from prime_rs import simulator

    return simulator.FINGERPRINT


def check_latency_unit(unit: str) -> str:
    """A latency unit is a short non-empty label ("ms", "cycles", "us", ...)."""
    if not isinstance(unit, str) or not unit.strip() or len(unit) > 32 or "," in unit:
        raise InvalidArgumentError(
            f"latency unit must be a short label such as 'ms' or 'cycles', got {unit!r}"
        )
    return unit.strip()


@dataclass(frozen=True)
class World:
    """The world of a dataset (see the module docstring)."""

    kind: str  # BUILTIN or EXTERNAL
    source: str
    fingerprint: str | None = None
    latency_unit: str = DEFAULT_LATENCY_UNIT

    @classmethod
    def builtin(cls) -> World:
        return cls(BUILTIN, "prime-rs simulator", builtin_fingerprint(), DEFAULT_LATENCY_UNIT)

    @classmethod
    def external(cls, source: str, latency_unit: str = DEFAULT_LATENCY_UNIT) -> World:
        return cls(EXTERNAL, str(source), None, check_latency_unit(latency_unit))

    @property
    def is_builtin(self) -> bool:
        """Produced by *this* built-in simulator (same fingerprint)."""
        return self.kind == BUILTIN and self.fingerprint == builtin_fingerprint()

    def describe(self) -> str:
        if self.kind == BUILTIN:
            return f"built-in simulator ({self.fingerprint})"
        return f"external ({self.source})"

    def to_metadata(self) -> dict[str, str]:
        meta = {KEY_WORLD: self.kind, KEY_SOURCE: self.source, KEY_UNIT: self.latency_unit}
        if self.fingerprint is not None:
            meta[KEY_FINGERPRINT] = self.fingerprint
        return meta

    def same_as(self, other: World) -> bool:
        """Whether two datasets' numbers can be pooled: same kind and fingerprint (builtin) or
        same source (external), and the same latency unit."""
        if self.kind != other.kind or self.latency_unit != other.latency_unit:
            return False
        if self.kind == BUILTIN:
            return self.fingerprint == other.fingerprint
        return self.source == other.source


def world_of(metadata: Mapping[str, str]) -> World:
    """The world recorded in a dataset's metadata (inferred for files that predate worlds)."""
    unit = metadata.get(KEY_UNIT, DEFAULT_LATENCY_UNIT)
    kind = metadata.get(KEY_WORLD)
    if kind is None:
        # Older files: only `prime-rs generate` ran the built-in simulator.
        if metadata.get("prime_rs.source") == "generate":
            return World(BUILTIN, "prime-rs simulator", builtin_fingerprint(), unit)
        source = metadata.get("prime_rs.source_path") or metadata.get("prime_rs.source")
        return World(EXTERNAL, source or "unknown source", None, unit)
    return World(
        kind, metadata.get(KEY_SOURCE, "unknown source"), metadata.get(KEY_FINGERPRINT), unit
    )


def data_only_applications(metadata: Mapping[str, str]) -> list[str]:
    raw = metadata.get(KEY_DATA_ONLY, "")
    return [a for a in raw.split(",") if a]


def data_only_metadata(applications: Iterable[str]) -> dict[str, str]:
    """The metadata entry naming the applications prime-rs has no workload for."""
    from prime_rs.data import apps as app_names

    names = sorted(set(applications) - set(app_names.workload_names()))
    return {KEY_DATA_ONLY: ",".join(names)} if names else {}
