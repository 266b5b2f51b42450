//! TFRecord framing (both modes) and the tf.train.Example decoder on arbitrary bytes.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| prime_rs_fuzz::tfrecord(data));
