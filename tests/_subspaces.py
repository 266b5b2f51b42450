"""A small sub-space of the design space, for brute-force checks of the enumeration."""

from __future__ import annotations

#: 10·10·7·10·7 = 49,000 designs: per-core memories and bandwidth fixed small enough that many
#: designs are infeasible; the compute parameters free.
FIXED = {
    "core_memory": 16384,
    "instruction_memory": 4096,
    "parameter_memory": 32768,
    "activation_memory": 8192,
    "dram_bandwidth": 25,
}
