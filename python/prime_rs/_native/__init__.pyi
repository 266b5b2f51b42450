"""Type stubs of the native module `prime_rs._native` (checked against the binary by
`tests/test_stubs.py` with mypy.stubtest). One stub per submodule, as in the binding crate
(`rust/prime-py/src/lib.rs`)."""

from prime_rs._native import enumerate as enumerate
from prime_rs._native import search as search
from prime_rs._native import sim as sim
from prime_rs._native import space as space
from prime_rs._native import tfrecord as tfrecord
from prime_rs._native import workload as workload

__version__: str
