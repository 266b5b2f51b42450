//! A small sequential network builder for the zoo: it tracks the current feature-map shape so
//! architecture tables turn into layers with explicit shapes (the IR has no shape inference).

use crate::workload::layer::*;
use crate::workload::Workload;
use crate::Result;

pub struct Net {
    pub h: i64,
    pub w: i64,
    pub c: i64,
    pub layers: Vec<Layer>,
}

fn nm(s: &str) -> Option<String> {
    Some(s.to_string())
}

/// TF-slim's `_make_divisible`: round to the nearest multiple of `d` (at least `d`) without
/// going more than 10% below `v`.
pub fn make_divisible(v: f64, d: i64) -> i64 {
    let r = (((v + d as f64 / 2.0) / d as f64).floor() as i64 * d).max(d);
    if (r as f64) < 0.9 * v {
        r + d
    } else {
        r
    }
}

impl Net {
    pub fn new(h: i64, w: i64, c: i64) -> Net {
        Net {
            h,
            w,
            c,
            layers: Vec::new(),
        }
    }

    pub fn set_shape(&mut self, h: i64, w: i64, c: i64) {
        (self.h, self.w, self.c) = (h, w, c);
    }

    pub fn conv_pad(
        &mut self,
        name: &str,
        out_c: i64,
        k: i64,
        stride: i64,
        padding: Padding,
        bias: bool,
    ) {
        let oh = out_dim(self.h, k, stride, padding).unwrap_or(0);
        let ow = out_dim(self.w, k, stride, padding).unwrap_or(0);
        self.layers.push(Layer::Conv2d(Conv2d {
            name: nm(name),
            in_h: self.h,
            in_w: self.w,
            in_c: self.c,
            out_c,
            kernel: Kernel::square(k),
            stride,
            padding,
            groups: 1,
            bias,
        }));
        self.set_shape(oh, ow, out_c);
    }

    /// "same"-padded conv.
    pub fn conv(&mut self, name: &str, out_c: i64, k: i64, stride: i64, bias: bool) {
        self.conv_pad(name, out_c, k, stride, Padding::Same, bias);
    }

    pub fn depthwise(&mut self, name: &str, k: i64, stride: i64, bias: bool) {
        let oh = out_dim(self.h, k, stride, Padding::Same).unwrap_or(0);
        let ow = out_dim(self.w, k, stride, Padding::Same).unwrap_or(0);
        self.layers.push(Layer::Depthwise(Depthwise {
            name: nm(name),
            in_h: self.h,
            in_w: self.w,
            channels: self.c,
            kernel: Kernel::square(k),
            stride,
            padding: Padding::Same,
            multiplier: 1,
            bias,
        }));
        self.set_shape(oh, ow, self.c);
    }

    pub fn conv_transpose(&mut self, name: &str, out_c: i64, k: i64, stride: i64) {
        self.layers.push(Layer::ConvTranspose2d(ConvTranspose2d {
            name: nm(name),
            in_h: self.h,
            in_w: self.w,
            in_c: self.c,
            out_c,
            kernel: Kernel::square(k),
            stride,
            bias: true,
        }));
        self.set_shape((self.h - 1) * stride + k, (self.w - 1) * stride + k, out_c);
    }

    /// Fully connected on a 1x1 map (classifier, squeeze-excite, 1x1 conv after global pooling).
    pub fn dense(&mut self, name: &str, out: i64, bias: bool) {
        self.layers.push(Layer::Dense(Dense {
            name: nm(name),
            in_features: self.c * self.h * self.w,
            out_features: out,
            rows: 1,
            bias,
        }));
        self.set_shape(1, 1, out);
    }

    pub fn global_pool(&mut self, name: &str) {
        self.layers.push(Layer::Pool(Pool {
            name: nm(name),
            in_h: self.h,
            in_w: self.w,
            channels: self.c,
            kernel: None,
            stride: None,
            padding: Padding::Valid,
            global: true,
        }));
        self.set_shape(1, 1, self.c);
    }

    pub fn max_pool(&mut self, name: &str, k: i64, stride: i64, padding: Padding) {
        let oh = out_dim(self.h, k, stride, padding).unwrap_or(0);
        let ow = out_dim(self.w, k, stride, padding).unwrap_or(0);
        self.layers.push(Layer::Pool(Pool {
            name: nm(name),
            in_h: self.h,
            in_w: self.w,
            channels: self.c,
            kernel: Some(Kernel::square(k)),
            stride: Some(stride),
            padding,
            global: false,
        }));
        self.set_shape(oh, ow, self.c);
    }

    /// Elementwise op of two maps of the current shape (residual add, SE scaling).
    pub fn add(&mut self, name: &str) {
        self.layers.push(Layer::Add(Add {
            name: nm(name),
            h: self.h,
            w: self.w,
            channels: self.c,
            inputs: 2,
        }));
    }

    /// Concatenate the current map with `skip_c` more channels at the current size.
    pub fn concat(&mut self, name: &str, skip_c: i64) {
        self.layers.push(Layer::Concat(Concat {
            name: nm(name),
            h: self.h,
            w: self.w,
            channels: vec![skip_c, self.c],
        }));
        self.c += skip_c;
    }

    /// Squeeze-and-excite: global pool, FC to `squeeze` (ReLU), FC back (gate), channel scaling.
    pub fn squeeze_excite(&mut self, name: &str, squeeze: i64) {
        let (h, w, c) = (self.h, self.w, self.c);
        self.global_pool(&format!("{name}/pool"));
        self.dense(&format!("{name}/squeeze"), squeeze, true);
        self.dense(&format!("{name}/excite"), c, true);
        self.set_shape(h, w, c);
        self.add(&format!("{name}/scale"));
    }

    pub fn push(&mut self, layer: Layer) {
        self.layers.push(layer);
    }

    pub fn finish(self, name: &str, description: &str, macs: u64, params: u64) -> Result<Workload> {
        let mut w = Workload::from_layers(name, description, "builtin", self.layers)?;
        w.published_macs = Some(macs);
        w.published_params = Some(params);
        Ok(w)
    }
}
