//! Readers for logged data.
