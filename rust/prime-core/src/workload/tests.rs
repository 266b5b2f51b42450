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
