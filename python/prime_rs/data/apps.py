"""Application names: the prime-rs names, the spellings of the published PRIME folders, and the
check that an application is one prime-rs knows."""

from __future__ import annotations

from prime_rs.errors import UnknownApplicationError

#: Folder names of the published PRIME release -> prime-rs application names. The three
#: proprietary Google models keep their own names (prime-rs has no workload for them).
PRIME_FOLDERS: dict[str, str] = {
    "MobileNetEdgeTPU": "mobilenet_edgetpu",
    "MobilenetEdgeTPU": "mobilenet_edgetpu",
    "MobilenetV2": "mobilenet_v2",
    "MobilenetV3": "mobilenet_v3_large",
    "m4": "m4",
    "m5": "m5",
    "m6": "m6",
    "t_rnn_dec": "rnnt_decoder",
    "t_rnn_enc": "rnnt_encoder",
    "u-net": "unet",
}

#: Applications that exist only in logged data (no prime-rs workload).
LOGGED_ONLY: tuple[str, ...] = ("m4", "m5", "m6")


def workload_names() -> list[str]:
    from prime_rs import workloads

    return list(workloads.names())


def known() -> list[str]:
    """Every application name a dataset may hold."""
    return sorted(set(workload_names()) | set(LOGGED_ONLY))


def canonical(name: str) -> str | None:
    """The prime-rs name for `name` (itself, a PRIME folder spelling, or a case variant)."""
    if name in PRIME_FOLDERS:
        return PRIME_FOLDERS[name]
    names = known()
    if name in names:
        return name
    lowered = {k.lower(): v for k, v in PRIME_FOLDERS.items()} | {n.lower(): n for n in names}
    return lowered.get(name.lower())


def resolve(names: list[str], allow_unknown: bool = False) -> dict[str, str]:
    """Map each distinct name to its prime-rs name; unknown names raise (or map to themselves
    with `allow_unknown`)."""
    out: dict[str, str] = {}
    unknown: list[str] = []
    for n in names:
        c = canonical(n)
        if c is None:
            if allow_unknown:
                c = n
            else:
                unknown.append(n)
                continue
        out[n] = c
    if unknown:
        raise UnknownApplicationError(
            f"unknown application name(s): {', '.join(repr(u) for u in sorted(unknown))}; "
            f"known: {', '.join(known())} (PRIME folder names are also accepted)"
        )
    return out
