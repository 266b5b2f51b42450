//! Lowering `Layer -> Vec<Op>` (the simulator's view) and per-layer parameter counts.
//!
//! Parameters are weights plus biases, one int8 byte each; batch-norm is excluded (it folds into
//! the preceding conv at inference). Every product is computed in u128 with overflow checks, must
//! fit the u64 fields of [`Op`] and pass [`Op::check`], so a huge user layer is an error naming
//! the layer, never a wrap.

use super::layer::{out_dim, Layer, Padding};
use super::op::{Op, OpKind};

type R<T> = Result<T, String>;

fn mul(xs: &[u128]) -> R<u128> {
    xs.iter()
        .try_fold(1u128, |a, &b| a.checked_mul(b))
        .ok_or_else(|| "layer too large: a size product overflows".to_string())
}

fn u(x: i64) -> u128 {
    x as u128
}

/// Fields of one op before the range check.
#[derive(Default)]
struct Spec {
    m: u128,
    n: u128,
    k: u128,
    reps: u128,
    kh: u128,
    kw: u128,
    cin_g: u128,
    stride: u128,
    in_w: u128,
    in_c: u128,
    weight_bytes: u128,
    in_bytes: u128,
    out_bytes: u128,
}

fn finish(kind: OpKind, s: Spec) -> R<Op> {
    let f =
        |v: u128| u64::try_from(v).map_err(|_| "layer too large: a size exceeds u64".to_string());
    let op = Op {
        kind,
        m: f(s.m)?,
        n: f(s.n)?,
        k: f(s.k)?,
        reps: f(s.reps)?,
        kh: f(s.kh)?,
        kw: f(s.kw)?,
        cin_g: f(s.cin_g)?,
        stride: f(s.stride)?,
        in_w: f(s.in_w)?,
        in_c: f(s.in_c)?,
        weight_bytes: f(s.weight_bytes)?,
        in_bytes: f(s.in_bytes)?,
        out_bytes: f(s.out_bytes)?,
    };
    op.check()?;
    Ok(op)
}

/// A convolution-shaped GEMM (shared by conv2d and depthwise).
#[allow(clippy::too_many_arguments)]
fn conv_op(
    in_h: i64,
    in_w: i64,
    in_c: i64,
    out_c: i64,
    kh: i64,
    kw: i64,
    stride: i64,
    padding: Padding,
    groups: i64,
    bias: bool,
) -> R<(Vec<Op>, u128)> {
    let oh = out_dim(in_h, kh, stride, padding).ok_or("kernel larger than padded input")?;
    let ow = out_dim(in_w, kw, stride, padding).ok_or("kernel larger than padded input")?;
    let cin_g = in_c / groups;
    let params = mul(&[u(kh), u(kw), u(cin_g), u(out_c)])? + if bias { u(out_c) } else { 0 };
    let op = finish(
        OpKind::Gemm,
        Spec {
            m: mul(&[u(oh), u(ow)])?,
            n: u(out_c),
            k: mul(&[u(kh), u(kw), u(cin_g)])?,
            reps: 1,
            kh: u(kh),
            kw: u(kw),
            cin_g: u(cin_g),
            stride: u(stride),
            in_w: u(in_w),
            in_c: u(in_c),
            weight_bytes: params,
            in_bytes: mul(&[u(in_h), u(in_w), u(in_c)])?,
            out_bytes: mul(&[u(oh), u(ow), u(out_c)])?,
        },
    )?;
    Ok((vec![op], params))
}

/// A plain matmul GEMM: `m` rows of `k` inputs to `n` outputs, repeated `reps` times.
fn matmul(m: u128, n: u128, k: u128, reps: u128, weight_bytes: u128) -> R<Op> {
    finish(
        OpKind::Gemm,
        Spec {
            m,
            n,
            k,
            reps,
            kh: 1,
            kw: 1,
            cin_g: k,
            stride: 1,
            in_w: m,
            in_c: k,
            weight_bytes,
            in_bytes: mul(&[m, k])?,
            out_bytes: mul(&[m, n])?,
        },
    )
}

/// A memory-only pass producing `out_px` pixels of `channels`.
#[allow(clippy::too_many_arguments)]
fn memory(
    out_px: u128,
    channels: u128,
    kh: u128,
    kw: u128,
    stride: u128,
    in_w: u128,
    in_c: u128,
    weight_bytes: u128,
    in_bytes: u128,
    out_bytes: u128,
) -> R<Op> {
    finish(
        OpKind::Memory,
        Spec {
            m: out_px,
            n: channels,
            k: 0,
            reps: 1,
            kh,
            kw,
            cin_g: 1,
            stride,
            in_w,
            in_c,
            weight_bytes,
            in_bytes,
            out_bytes,
        },
    )
}

impl Layer {
    /// Lower a validated layer to ops and return them with the layer's parameter count.
    pub fn lower(&self) -> R<(Vec<Op>, u64)> {
        let (ops, params) = self.lower_u128()?;
        let params =
            u64::try_from(params).map_err(|_| "layer too large: parameter count overflows")?;
        Ok((ops, params))
    }

    fn lower_u128(&self) -> R<(Vec<Op>, u128)> {
        match self {
            Layer::Conv2d(c) => conv_op(
                c.in_h, c.in_w, c.in_c, c.out_c, c.kernel.h, c.kernel.w, c.stride, c.padding,
                c.groups, c.bias,
            ),
            Layer::Depthwise(d) => conv_op(
                d.in_h,
                d.in_w,
                d.channels,
                mul(&[u(d.channels), u(d.multiplier)])? as i64,
                d.kernel.h,
                d.kernel.w,
                d.stride,
                d.padding,
                d.channels,
                d.bias,
            ),
            // Standard GEMM form of a transposed conv: every input pixel times an
            // [in_c, kh*kw*out_c] matrix, then a scatter (col2im) into the output; exact in MACs
            // and weights, and a pointwise layer as far as the array mapping is concerned.
            Layer::ConvTranspose2d(c) => {
                let oh = (u(c.in_h) - 1) * u(c.stride) + u(c.kernel.h);
                let ow = (u(c.in_w) - 1) * u(c.stride) + u(c.kernel.w);
                let n = mul(&[u(c.kernel.h), u(c.kernel.w), u(c.out_c)])?;
                let params = mul(&[n, u(c.in_c)])? + if c.bias { u(c.out_c) } else { 0 };
                let op = finish(
                    OpKind::Gemm,
                    Spec {
                        m: mul(&[u(c.in_h), u(c.in_w)])?,
                        n,
                        k: u(c.in_c),
                        reps: 1,
                        kh: 1,
                        kw: 1,
                        cin_g: u(c.in_c),
                        stride: 1,
                        in_w: u(c.in_w),
                        in_c: u(c.in_c),
                        weight_bytes: params,
                        in_bytes: mul(&[u(c.in_h), u(c.in_w), u(c.in_c)])?,
                        out_bytes: mul(&[oh, ow, u(c.out_c)])?,
                    },
                )?;
                Ok((vec![op], params))
            }
            Layer::Dense(d) => {
                let (i, o) = (u(d.in_features), u(d.out_features));
                let params = mul(&[i, o])? + if d.bias { o } else { 0 };
                Ok((vec![matmul(u(d.rows), o, i, 1, params)?], params))
            }
            Layer::Lstm(l) => {
                let (x, h, t) = (u(l.input_size), u(l.hidden_size), u(l.steps));
                let gates = 4 * h;
                let r = l.proj_size.map(u).unwrap_or(h);
                // Input projection of all steps at once (no recurrence dependency), bias here.
                let w_in = mul(&[gates, x])? + if l.bias { gates } else { 0 };
                // Recurrence: one row per step, T dependent steps reusing the weights.
                let w_rec = mul(&[gates, r])?;
                let mut ops = vec![
                    matmul(t, gates, x, 1, w_in)?,
                    matmul(1, gates, r, t, w_rec)?,
                ];
                let mut params = w_in + w_rec;
                if let Some(p) = l.proj_size {
                    let w_proj = mul(&[u(p), h])?;
                    ops.push(matmul(1, u(p), h, t, w_proj)?);
                    params += w_proj;
                }
                Ok((ops, params))
            }
            Layer::Pool(p) => {
                let c = u(p.channels);
                let in_bytes = mul(&[u(p.in_h), u(p.in_w), c])?;
                let op = if p.global {
                    memory(1, c, u(p.in_h), u(p.in_w), 1, u(p.in_w), c, 0, in_bytes, c)?
                } else {
                    let k = p
                        .kernel
                        .ok_or("field 'kernel' is required unless global = true")?;
                    let s = p.stride.unwrap_or(k.h);
                    let oh =
                        out_dim(p.in_h, k.h, s, p.padding).ok_or("kernel larger than input")?;
                    let ow =
                        out_dim(p.in_w, k.w, s, p.padding).ok_or("kernel larger than input")?;
                    let px = mul(&[u(oh), u(ow)])?;
                    memory(
                        px,
                        c,
                        u(k.h),
                        u(k.w),
                        u(s),
                        u(p.in_w),
                        c,
                        0,
                        in_bytes,
                        mul(&[px, c])?,
                    )?
                };
                Ok((vec![op], 0))
            }
            Layer::Add(a) => {
                let px = mul(&[u(a.h), u(a.w)])?;
                let c = u(a.channels);
                let out = mul(&[px, c])?;
                let op = memory(px, c, 1, 1, 1, u(a.w), c, 0, mul(&[out, u(a.inputs)])?, out)?;
                Ok((vec![op], 0))
            }
            Layer::Concat(cc) => {
                let px = mul(&[u(cc.h), u(cc.w)])?;
                let c: u128 = cc.channels.iter().map(|&v| u(v)).sum();
                let bytes = mul(&[px, c])?;
                Ok((
                    vec![memory(px, c, 1, 1, 1, u(cc.w), c, 0, bytes, bytes)?],
                    0,
                ))
            }
            Layer::Resize(r) => {
                let c = u(r.channels);
                let px = mul(&[u(r.out_h), u(r.out_w)])?;
                let in_bytes = mul(&[u(r.in_h), u(r.in_w), c])?;
                let op = memory(px, c, 1, 1, 1, u(r.in_w), c, 0, in_bytes, mul(&[px, c])?)?;
                Ok((vec![op], 0))
            }
            // Only the gathered rows move (as weight traffic); the whole table is parameters.
            Layer::Embedding(e) => {
                let rows = mul(&[u(e.tokens), u(e.dim)])?;
                let op = memory(
                    u(e.tokens),
                    u(e.dim),
                    1,
                    1,
                    1,
                    u(e.tokens),
                    1,
                    rows,
                    u(e.tokens),
                    rows,
                )?;
                Ok((vec![op], mul(&[u(e.vocab), u(e.dim)])?))
            }
        }
    }
}
