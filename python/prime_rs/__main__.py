"""``python -m prime_rs``: the same command line as ``prime-rs``."""

from prime_rs.cli import main

if __name__ == "__main__":
    main()
