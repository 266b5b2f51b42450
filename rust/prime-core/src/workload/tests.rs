use super::layer::{Conv2d, Kernel, Padding};
use super::*;
use proptest::prelude::*;

fn rel(a: u64, b: u64) -> f64 {
    (a as f64 / b as f64 - 1.0).abs()
}

#[test]
fn builtins_match_reference_totals() {
    for name in names() {
        let w = load(&name).unwrap();
        let (pm, pp) = (w.published_macs.unwrap(), w.published_params.unwrap());
        assert!(rel(w.macs, pm) <= 0.02, "{name}: {} MACs vs {pm}", w.macs);
        assert!(
            rel(w.params, pp) <= 0.05,
            "{name}: {} params vs {pp}",
            w.params
        );
        assert_eq!(w.macs, w.ops.iter().map(Op::macs).sum::<u64>(), "{name}");
        assert_eq!(w.params, w.layer_params.iter().sum::<u64>(), "{name}");
        assert_eq!(w.op_layer.len(), w.ops.len());
        assert!(
            w.context.iter().all(|x| x.is_finite()),
            "{name}: {:?}",
            w.context
        );
    }
}

#[test]
fn original_unet_matches_the_commonly_quoted_figures() {
    let w = zoo::unet::unet_net(572, 1, 64, 2, Padding::Valid)
        .finish("u", "", 1, 1)
        .unwrap();
    assert_eq!(w.params, 31_030_658); // "~31 M"
    assert_eq!(w.macs, 150_428_424_448); // docs/simulator.md section 6: 150.4 G
}

#[test]
fn rnnt_matches_the_per_layer_notes() {
    // ~11.8 M weights per 640-input LSTMP layer; decoder LSTMs ~24 M.
    let d = load("rnnt_decoder").unwrap();
    let lstm: u64 = d.layer_params[1..].iter().sum();
    assert!(rel(lstm, 24_000_000) < 0.05);
    let e = load("rnnt_encoder").unwrap();
    assert!(rel(e.params, 94_000_000) < 0.05);
    for (op, &li) in e.ops.iter().zip(&e.op_layer) {
        let Layer::Lstm(l) = &e.layers[li] else {
            panic!()
        };
        if op.m == 1 {
            assert_eq!(op.reps, l.steps as u64);
        }
    }
}

#[test]
fn depthwise_lowering_is_per_channel() {
    let w = load("mobilenet_v2").unwrap();
    let mut seen = 0;
    for (op, &li) in w.ops.iter().zip(&w.op_layer) {
        if w.layers[li].class() == LayerClass::Depthwise {
            assert_eq!(op.k, op.kh * op.kw);
            assert_eq!(op.cin_g, 1);
            seen += 1;
        }
    }
    assert_eq!(seen, 17);
}

#[test]
fn context_vectors_differ_between_networks() {
    let ctx: Vec<_> = names().iter().map(|n| load(n).unwrap().context).collect();
    for i in 0..ctx.len() {
        for j in 0..i {
            assert_ne!(ctx[i], ctx[j]);
        }
    }
}

fn file_err(r: Result<Workload>) -> String {
    match r {
        Err(Error::WorkloadFile { detail, .. }) => detail,
        other => panic!("expected WorkloadFile, got {other:?}"),
    }
}

#[test]
fn bad_files_name_the_problem() {
    let p = |s: &str| parse(s, Format::Json, "t.json");
    assert!(file_err(p("{\"name\": \"x\", \"layers\": [")).contains("line 1"));
    let e = file_err(p(r#"{"name":"x","layers":[{"type":"conv3d","in_h":1}]}"#));
    assert!(e.contains("conv3d") && e.contains("in layer 0"), "{e}");
    let e = file_err(p(
        r#"{"name":"x","layers":[{"type":"conv2d","name":"c1","in_h":-4,"in_w":8,"in_c":3,"out_c":8,"kernel":3}]}"#,
    ));
    assert!(
        e.contains("in_h") && e.contains("c1") && e.contains("-4"),
        "{e}"
    );
    let e = file_err(p(
        r#"{"name":"x","layers":[{"type":"conv2d","in_h":8,"in_w":8,"in_c":6,"out_c":8,"kernel":3,"groups":4}]}"#,
    ));
    assert!(e.contains("groups"), "{e}");
    let e = file_err(p(
        r#"{"name":"x","layers":[{"type":"conv2d","in_h":8,"in_w":8,"in_c":6,"out_c":8,"kernel":9,"padding":"valid"}]}"#,
    ));
    assert!(e.contains("kernel"), "{e}");
    let e = file_err(p(
        r#"{"name":"x","layers":[{"type":"dense","in_features":8,"out_features":8,"wat":1}]}"#,
    ));
    assert!(e.contains("wat"), "{e}");
    let e = file_err(p(
        r#"{"name":"x","layers":[{"type":"pool","in_h":8,"in_w":8,"channels":4,"kernel":2,"padding":"full"}]}"#,
    ));
    assert!(e.contains("full"), "{e}");
    assert!(file_err(p(r#"{"name":"x","layers":[]}"#)).contains("layers"));
    let e = file_err(parse(
        "name = \"x\"\n[[layers]]\ntype = \"lstm\"\ninput_size = 4\n",
        Format::Toml,
        "t.toml",
    ));
    assert!(e.contains("hidden_size"), "{e}");
}

#[test]
fn unknown_names_list_the_zoo() {
    match load("no_such_net") {
        Err(Error::UnknownWorkload { known, .. }) => {
            assert!(known.contains(&"mobilenet_v2".to_string()))
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        load("/nonexistent/net.json"),
        Err(Error::UnknownWorkload { .. })
    ));
}

#[test]
fn huge_layers_are_errors_not_wraps() {
    let e = file_err(parse(
        r#"{"name":"x","layers":[{"type":"dense","in_features":16000000,"out_features":16000000,"rows":16000000}]}"#,
        Format::Json,
        "t",
    ));
    assert!(e.contains("too large"), "{e}");
}

proptest! {
    #[test]
    fn conv_lowering_matches_closed_form(
        h in 1i64..64, w in 1i64..64, g in 1i64..5, cin_g in 1i64..9, cout_g in 1i64..9,
        k in 1i64..6, s in 1i64..4, pad in 0i64..3, same in any::<bool>(), bias in any::<bool>(),
    ) {
        let padding = if same { Padding::Same } else { Padding::Explicit(pad) };
        let layer = Layer::Conv2d(Conv2d {
            name: None, in_h: h, in_w: w, in_c: g * cin_g, out_c: g * cout_g,
            kernel: Kernel::square(k), stride: s, padding, groups: g, bias,
        });
        let (Some(oh), Some(ow)) = (layer::out_dim(h, k, s, padding), layer::out_dim(w, k, s, padding)) else {
            prop_assert!(layer.validate().is_err());
            return Ok(());
        };
        prop_assert!(layer.validate().is_ok());
        let (ops, params) = layer.lower().unwrap();
        prop_assert_eq!(ops.len(), 1);
        let op = ops[0];
        prop_assert_eq!(op.m, (oh * ow) as u64);
        prop_assert_eq!(op.n, (g * cout_g) as u64);
        prop_assert_eq!(op.k, (k * k * cin_g) as u64);
        prop_assert_eq!(op.weight_bytes, params);
        let expect = (k * k * cin_g * g * cout_g + if bias { g * cout_g } else { 0 }) as u64;
        prop_assert_eq!(params, expect);
        prop_assert_eq!(op.out_bytes, (oh * ow * g * cout_g) as u64);
        prop_assert_eq!(op.in_bytes, (h * w * g * cin_g) as u64);
    }
}

/// Files that lower to ops whose derived sizes overflow u64 (reliability review 2.11-2.13):
/// each is a `WorkloadFile` error naming the layer, at load time.
#[test]
fn overflowing_derived_sizes_are_load_errors_naming_the_layer() {
    for (layer, what) in [
        // 2·kh·in_w·in_c (the row band) is 2^64.
        (
            r#"{"type":"conv2d","name":"band","in_h":1,"in_w":2097152,"in_c":2097152,"out_c":1,"kernel":[2097152,1],"stride":16777216,"padding":"same"}"#,
            "input window",
        ),
        // in_bytes + out_bytes is 2^64.
        (
            r#"{"type":"concat","name":"cat","h":2097152,"w":2097152,"channels":[2097152]}"#,
            "in_bytes",
        ),
        // out_bytes is in (2^63, 2^64): it would wrap as i64.
        (
            r#"{"type":"resize","name":"rs","in_h":2097152,"in_w":3658,"channels":2173170,"out_h":2097152,"out_w":2097152}"#,
            "in_bytes",
        ),
    ] {
        let text = format!(r#"{{"name":"x","layers":[{layer}]}}"#);
        let e = file_err(parse(&text, Format::Json, "t.json"));
        assert!(e.contains("layer 0") && e.contains("too large"), "{e}");
        assert!(e.contains(what), "{e}");
    }
}

fn op_with(kind: OpKind, f: [u64; 13]) -> Op {
    Op::from_fields(kind, f)
}

#[test]
fn op_fields_round_trip_in_schema_order() {
    let w = load("mobilenet_v2").unwrap();
    for op in &w.ops {
        assert_eq!(Op::from_fields(op.kind, op.fields()), *op);
        assert!(op.check().is_ok());
    }
    assert_eq!(OP_FIELDS.len(), 13);
    assert_eq!(OP_FIELDS[0], "m");
    assert_eq!(OP_FIELDS[12], "out_bytes");
}

#[test]
fn op_tables_are_checked_row_by_row() {
    assert!(matches!(
        Workload::from_ops("t", "<op table>", vec![]),
        Err(Error::InvalidArgument(_))
    ));
    let good = load("mobilenet_v2").unwrap().ops;
    let w = Workload::from_ops("t", "<op table>", good.clone()).unwrap();
    assert_eq!(w.macs, load("mobilenet_v2").unwrap().macs);
    assert!(w.layers.is_empty());
    assert_eq!(w.op_layer, (0..good.len()).collect::<Vec<_>>());
    let mut bad = good.clone();
    bad[3].m = 1 << 40;
    bad[3].n = 1 << 20;
    bad[3].k = 1 << 20;
    match Workload::from_ops("t", "<op table>", bad) {
        Err(Error::InvalidArgument(msg)) => assert!(msg.contains("row 3"), "{msg}"),
        other => panic!("{other:?}"),
    }
    let mut zero = good;
    zero[0].k = 0;
    match Workload::from_ops("t", "<op table>", zero) {
        Err(Error::InvalidArgument(msg)) => assert!(msg.contains("zero dimension"), "{msg}"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn non_utf8_paths_are_unknown_not_errors_of_encoding() {
    use std::os::unix::ffi::OsStrExt;
    let p = std::path::Path::new(std::ffi::OsStr::from_bytes(b"/nonexistent/\xff.json"));
    assert!(matches!(load_path(p), Err(Error::UnknownWorkload { .. })));
}

proptest! {
    /// Whatever the field values, an op either fails the admission rule or the simulator
    /// prepares and runs it without overflow (the test profile keeps overflow checks on).
    #[test]
    fn admitted_ops_never_overflow_the_simulator(
        gemm in any::<bool>(),
        f in proptest::array::uniform13(prop_oneof![6 => 0u64..64, 1 => 0u64..(1 << 27), 1 => any::<u64>()]),
    ) {
        let op = op_with(if gemm { OpKind::Gemm } else { OpKind::Memory }, f);
        if op.check().is_ok() {
            let prepared = crate::sim::PreparedWorkload::new(&[op]);
            let designs = crate::space::sample(8, 1);
            let out = crate::sim::simulate_batch(&designs, &prepared);
            prop_assert_eq!(out.latency_ms.len(), 8);
            let w = Workload::from_ops("p", "<op table>", vec![op]).unwrap();
            prop_assert!(w.context.iter().all(|x| x.is_finite()));
            prop_assert!(op.fields().iter().all(|&v| v <= op::MAX_OP_SIZE));
        }
    }
}
