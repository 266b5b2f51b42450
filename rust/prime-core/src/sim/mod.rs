//! The analytical EdgeTPU-like simulator.
