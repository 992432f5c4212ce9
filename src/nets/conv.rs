//! A small convolutional net on s×s single-channel images (the dataset's features, row-major):
//!
//! ```text
//!     z₁ = K₁ ⋆ x,  a₁ = ReLU(Norm(z₁)),  z₂ = K₂ ⋆ a₁,  a₂ = ReLU(Norm(z₂)),
//!     f = mean over positions of a₂,  logits = V f
//! ```
//!
//! 3×3 kernels, stride 1, zero padding 1, no biases, Norm = BN or IN without affine, V frozen.
//! θ = (K₁, K₂) laid out [out][in][3][3].

use rand_chacha::rand_core::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};

use super::head::{head_loss, init_head};
use super::norm::{norm_backward, norm_forward};
use super::{Dataset, NormKind};
use crate::linalg::Vector;
use crate::loss::Objective;
use crate::scalar::Real;

/// The normalized conv net.
#[derive(Debug, Clone)]
pub struct ConvNet<T> {
    data: Dataset,
    inputs: Vec<Vec<T>>,
    side: usize,
    channels: (usize, usize),
    norm: NormKind,
    frozen_v: Vec<T>,
    /// [`tap_table`] of `side`.
    taps: Vec<Vec<(usize, usize)>>,
}

/// The valid taps of a 3×3 kernel with zero padding 1 on a `side`×`side` image: for each output
/// position (row-major), the pairs (tap dy·3 + dx, input position) whose input lies inside the
/// image, in the order dy, dx. Built once per net, so that the loops below neither test bounds
/// nor visit the padding.
fn tap_table(side: usize) -> Vec<Vec<(usize, usize)>> {
    let mut table = Vec::with_capacity(side * side);
    for y in 0..side {
        for x in 0..side {
            let mut taps = Vec::with_capacity(9);
            for dy in 0..3 {
                for dx in 0..3 {
                    let (yy, xc) = (y + dy, x + dx);
                    if (1..=side).contains(&yy) && (1..=side).contains(&xc) {
                        taps.push((dy * 3 + dx, (yy - 1) * side + (xc - 1)));
                    }
                }
            }
            table.push(taps);
        }
    }
    table
}

/// The shape of one convolution: samples, input and output channels, positions per channel.
#[derive(Clone, Copy)]
struct Shape {
    n: usize,
    cin: usize,
    cout: usize,
    area: usize,
}

/// z[n][co][p] = Σ_{ci,dy,dx} k[co][ci][dy][dx] · x[n][ci][p + (dy−1, dx−1)], summed in the
/// order ci, dy, dx.
fn conv<T: Real>(x: &[T], k: &[T], shape: Shape, taps: &[Vec<(usize, usize)>]) -> Vec<T> {
    let Shape { n, cin, cout, area } = shape;
    let mut z = vec![T::zero(); n * cout * area];
    for s in 0..n {
        for co in 0..cout {
            let out = &mut z[(s * cout + co) * area..][..area];
            for (acc, position) in out.iter_mut().zip(taps) {
                for ci in 0..cin {
                    let kernel = &k[(co * cin + ci) * 9..][..9];
                    let input = &x[(s * cin + ci) * area..][..area];
                    for &(t, i) in position {
                        acc.add_product(&kernel[t], &input[i]);
                    }
                }
            }
        }
    }
    z
}

/// (∂L/∂k, ∂L/∂x) of [`conv`] from ∂L/∂z; ∂L/∂x only when `input_gradient` (the first layer's
/// input is the data). Each entry accumulates its terms in the order (sample, output channel,
/// position, tap).
fn conv_backward<T: Real>(
    dz: &[T],
    x: &[T],
    k: &[T],
    shape: Shape,
    taps: &[Vec<(usize, usize)>],
    input_gradient: bool,
) -> (Vec<T>, Vec<T>) {
    let Shape { n, cin, cout, area } = shape;
    let mut dk = vec![T::zero(); cout * cin * 9];
    let mut dx = if input_gradient {
        vec![T::zero(); n * cin * area]
    } else {
        Vec::new()
    };
    for s in 0..n {
        for co in 0..cout {
            let grads = &dz[(s * cout + co) * area..][..area];
            for (g, position) in grads.iter().zip(taps) {
                for ci in 0..cin {
                    let kb = (co * cin + ci) * 9;
                    let xb = (s * cin + ci) * area;
                    let input = &x[xb..][..area];
                    for &(t, i) in position {
                        dk[kb + t].add_product(g, &input[i]);
                        if input_gradient {
                            dx[xb + i].add_product(g, &k[kb + t]);
                        }
                    }
                }
            }
        }
    }
    (dk, dx)
}

/// [`conv`] and [`conv_backward`] on images framed by zeros, for f64: every loop runs over a
/// whole plane laid out in rows of side + 2 (the frame's columns computed and dropped), so it
/// has no bounds tests, no per-row overhead and vectorizes. A tap that reads the frame adds
/// k·0 = ±0, which leaves a finite sum as it is (sums start at +0 and never become −0), and each
/// entry receives its terms in the same order: the same numbers, bit for bit (tested).
mod framed {
    use super::Shape;
    use crate::scalar::Real;

    /// A framed plane of a side×side image: rows of `wide` = side + 2; output (y, x) sits at
    /// y·wide + x, so `span` entries cover every output; tap t reads `off[t]` further on.
    struct Layout {
        side: usize,
        wide: usize,
        span: usize,
        off: [usize; 9],
    }

    impl Layout {
        /// The layout of `shape`'s planes and its input, framed.
        fn framed<T: Real>(x: &[T], shape: Shape) -> (Self, Vec<T>) {
            let layout = Self::of(shape.area);
            let framed = frame(x, shape.n * shape.cin, layout.side);
            (layout, framed)
        }

        fn of(area: usize) -> Self {
            let side = area.isqrt();
            let wide = side + 2;
            Layout {
                side,
                wide,
                span: (side - 1) * wide + side,
                off: std::array::from_fn(|t| (t / 3) * wide + t % 3),
            }
        }
    }

    /// `planes` images of side² values, framed: (side + 2)² each.
    fn frame<T: Real>(x: &[T], planes: usize, side: usize) -> Vec<T> {
        let wide = side + 2;
        let mut out = vec![T::zero(); planes * wide * wide];
        for (plane, image) in out.chunks_mut(wide * wide).zip(x.chunks(side * side)) {
            for (y, row) in image.chunks(side).enumerate() {
                plane[(y + 1) * wide + 1..][..side].clone_from_slice(row);
            }
        }
        out
    }

    /// [`super::conv`].
    pub(super) fn conv<T: Real>(x: &[T], k: &[T], shape: Shape) -> Vec<T> {
        let Shape { n, cin, cout, area } = shape;
        let (layout, xp) = Layout::framed(x, shape);
        let (side, wide, span, off) = (layout.side, layout.wide, layout.span, layout.off);
        let mut z = vec![T::zero(); n * cout * area];
        let mut acc = vec![T::zero(); span];
        for s in 0..n {
            for co in 0..cout {
                acc.iter_mut().for_each(|a| *a = T::zero());
                for ci in 0..cin {
                    let kernel = &k[(co * cin + ci) * 9..][..9];
                    let plane = &xp[(s * cin + ci) * wide * wide..][..wide * wide];
                    for (tap, &o) in kernel.iter().zip(&off) {
                        for (a, v) in acc.iter_mut().zip(&plane[o..o + span]) {
                            a.add_product(tap, v);
                        }
                    }
                }
                let out = &mut z[(s * cout + co) * area..][..area];
                for (y, row) in out.chunks_mut(side).enumerate() {
                    row.clone_from_slice(&acc[y * wide..][..side]);
                }
            }
        }
        z
    }

    /// [`super::conv_backward`].
    pub(super) fn conv_backward<T: Real>(
        dz: &[T],
        x: &[T],
        k: &[T],
        shape: Shape,
        input_gradient: bool,
    ) -> (Vec<T>, Vec<T>) {
        let Shape { n, cin, cout, area } = shape;
        let (layout, xp) = Layout::framed(x, shape);
        let (side, wide, span, off) = (layout.side, layout.wide, layout.span, layout.off);
        let mut dk = vec![T::zero(); cout * cin * 9];
        let mut dxp = vec![
            T::zero();
            if input_gradient {
                n * cin * wide * wide
            } else {
                0
            }
        ];
        // Where each output position sits in a framed plane.
        let at: Vec<usize> = (0..area).map(|p| (p / side) * wide + p % side).collect();
        // ∂L/∂z of one output plane in rows of `wide`, zeros in the dropped columns.
        let mut g = vec![T::zero(); span];
        for s in 0..n {
            for co in 0..cout {
                let grads = &dz[(s * cout + co) * area..][..area];
                for (y, row) in grads.chunks(side).enumerate() {
                    g[y * wide..][..side].clone_from_slice(row);
                }
                for ci in 0..cin {
                    let kb = (co * cin + ci) * 9;
                    let base = (s * cin + ci) * wide * wide;
                    let plane = &xp[base..][..wide * wide];
                    // The nine sums side by side in locals (registers): independent chains.
                    let mut a: [T; 9] = std::array::from_fn(|t| dk[kb + t].clone());
                    for (gp, &j) in grads.iter().zip(&at) {
                        let window = &plane[j..j + 2 * wide + 3];
                        for (acc, &o) in a.iter_mut().zip(&off) {
                            acc.add_product(gp, &window[o]);
                        }
                    }
                    dk[kb..kb + 9].clone_from_slice(&a);
                    if !input_gradient {
                        continue;
                    }
                    let back = &mut dxp[base..][..wide * wide];
                    for t in (0..9).rev() {
                        let tap = &k[kb + t];
                        for (v, gj) in back[off[t]..off[t] + span].iter_mut().zip(&g) {
                            v.add_product(gj, tap);
                        }
                    }
                }
            }
        }
        let mut dx = Vec::with_capacity(if input_gradient { n * cin * area } else { 0 });
        for plane in dxp.chunks(wide * wide) {
            for y in 0..side {
                dx.extend_from_slice(&plane[(y + 1) * wide + 1..][..side]);
            }
        }
        (dk, dx)
    }
}

impl<T: Real> ConvNet<T> {
    /// A net on `side`×`side` images (the dataset must have side² features).
    pub fn new(data: Dataset, side: usize, channels: (usize, usize), norm: NormKind) -> Self {
        let inputs = data
            .inputs
            .iter()
            .map(|x| x.iter().map(|v| T::from_f64(*v)).collect())
            .collect();
        let frozen_v = init_head(data.classes, channels.1, data.seed);
        ConvNet {
            data,
            inputs,
            side,
            channels,
            norm,
            frozen_v,
            taps: tap_table(side),
        }
    }

    fn sizes(&self) -> (usize, usize) {
        (self.channels.0 * 9, self.channels.1 * self.channels.0 * 9)
    }

    /// θ₀ with kernels N(0, 1/fan_in) from the seeded stream `seed`.
    pub fn init_params(&self, seed: u64) -> Vector<T> {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let (a, b) = self.sizes();
        let mut theta = Vec::with_capacity(a + b);
        for (count, fan_in) in [(a, 9.0), (b, 9.0 * self.channels.0 as f64)] {
            for _ in 0..count {
                let x: f64 = StandardNormal.sample(&mut rng);
                theta.push(T::from_f64(x / fan_in.sqrt()));
            }
        }
        Vector::from_vec(theta)
    }

    /// (L_batch(θ), ∇L_batch(θ)).
    pub fn evaluate(&self, theta: &Vector<T>, batch: usize) -> (T, Vector<T>) {
        let index = &self.data.batches[batch % self.data.batches.len()];
        let n = index.len();
        let (c1, c2) = self.channels;
        let side = self.side;
        let area = side * side;
        let (size1, _) = self.sizes();
        let k1 = &theta.as_slice()[..size1];
        let k2 = &theta.as_slice()[size1..];
        let x: Vec<T> = index
            .iter()
            .flat_map(|&i| self.inputs[i].iter().cloned())
            .collect();
        let shape1 = Shape {
            n,
            cin: 1,
            cout: c1,
            area,
        };
        let shape2 = Shape {
            n,
            cin: c1,
            cout: c2,
            area,
        };
        // f64 takes the framed loops; the wide types skip the frame's products (each one a call
        // there, not a lane of a vector instruction).
        let framed = T::NAME == "f64";
        let z1 = if framed {
            framed::conv(&x, k1, shape1)
        } else {
            conv(&x, k1, shape1, &self.taps)
        };
        // Operands by reference and one zero for the ReLU tests: at a few hundred bits a copy
        // or a fresh zero costs an allocation, more than the comparison.
        let zero = T::zero();
        let cache1 = norm_forward(&z1, (n, c1, area), self.norm);
        let h1 = cache1.h();
        let a1: Vec<T> = h1
            .iter()
            .map(|v| if *v > zero { v.clone() } else { zero.clone() })
            .collect();
        let z2 = if framed {
            framed::conv(&a1, k2, shape2)
        } else {
            conv(&a1, k2, shape2, &self.taps)
        };
        let cache2 = norm_forward(&z2, (n, c2, area), self.norm);
        let h2 = cache2.h();
        let positions = T::from_int(area as i64);
        let mut pooled = vec![T::zero(); n * c2];
        for (i, h) in h2.iter().enumerate() {
            if *h > zero {
                let mut share = h.clone();
                share.div_assign_ref(&positions);
                pooled[i / area].add_assign_ref(&share);
            }
        }
        let labels: Vec<usize> = index.iter().map(|&i| self.data.labels[i]).collect();
        let (loss, dpooled, _) = head_loss(&self.frozen_v, &pooled, &labels, self.data.classes, c2);
        // ∂L/∂h at a position: ∂L/∂(pooled)/positions, the same quotient for every position.
        let per_position: Vec<T> = dpooled
            .iter()
            .map(|d| {
                let mut q = d.clone();
                q.div_assign_ref(&positions);
                q
            })
            .collect();
        let dh2: Vec<T> = h2
            .iter()
            .enumerate()
            .map(|(i, h)| {
                if *h > zero {
                    per_position[i / area].clone()
                } else {
                    zero.clone()
                }
            })
            .collect();
        let dz2 = norm_backward(&dh2, &cache2);
        let (dk2, da1) = if framed {
            framed::conv_backward(&dz2, &a1, k2, shape2, true)
        } else {
            conv_backward(&dz2, &a1, k2, shape2, &self.taps, true)
        };
        let dh1: Vec<T> = da1
            .iter()
            .zip(h1)
            .map(|(d, h)| if *h > zero { d.clone() } else { zero.clone() })
            .collect();
        let dz1 = norm_backward(&dh1, &cache1);
        let (dk1, _) = if framed {
            framed::conv_backward(&dz1, &x, k1, shape1, false)
        } else {
            conv_backward(&dz1, &x, k1, shape1, &self.taps, false)
        };
        (loss, Vector::from_vec(dk1.into_iter().chain(dk2).collect()))
    }
}

impl<T: Real> Objective<T> for ConvNet<T> {
    fn name(&self) -> String {
        let (a, b) = self.sizes();
        format!(
            "conv-{} {s}x{s}x1-{}-{}-{} ({} params, {} batches of {})",
            self.norm.short(),
            self.channels.0,
            self.channels.1,
            self.data.classes,
            a + b,
            self.data.batches.len(),
            self.data.batches[0].len(),
            s = self.side
        )
    }
    fn dim(&self) -> usize {
        let (a, b) = self.sizes();
        a + b
    }
    fn batches(&self) -> usize {
        self.data.batches.len()
    }
    fn loss(&self, theta: &Vector<T>, batch: usize) -> T {
        self.evaluate(theta, batch).0
    }
    fn gradient(&self, theta: &Vector<T>, batch: usize) -> Vector<T> {
        self.evaluate(theta, batch).1
    }
    fn loss_and_gradient(&self, theta: &Vector<T>, batch: usize) -> (T, Vector<T>) {
        self.evaluate(theta, batch)
    }
    fn scale_invariant(&self) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};

    /// The framed f64 loops give the tap-table loops' numbers bit for bit (same terms, same
    /// order; the frame's ±0 terms change nothing), forward and backward, on several shapes and
    /// on values with exact zeros, signs and ReLU-like sparsity; and the tap-table loops give
    /// the textbook sum (each output from its valid taps, in the order ci, dy, dx).
    #[test]
    fn framed_loops_match_the_tap_table_bit_for_bit() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
        let value = |rng: &mut rand_chacha::ChaCha8Rng| -> f64 {
            if rng.random_bool(0.3) {
                0.0
            } else {
                rng.random_range(-2.0..2.0)
            }
        };
        for (n, cin, cout, side) in [(2, 1, 3, 4), (3, 3, 4, 4), (1, 2, 2, 3), (2, 2, 1, 5)] {
            let area = side * side;
            let shape = Shape { n, cin, cout, area };
            let taps = tap_table(side);
            let x: Vec<f64> = (0..n * cin * area).map(|_| value(&mut rng)).collect();
            let k: Vec<f64> = (0..cout * cin * 9).map(|_| value(&mut rng)).collect();
            let dz: Vec<f64> = (0..n * cout * area).map(|_| value(&mut rng)).collect();
            let z = conv(&x, &k, shape, &taps);
            let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
            assert_eq!(bits(&framed::conv(&x, &k, shape)), bits(&z));
            for input_gradient in [true, false] {
                let (dk, dx) = conv_backward(&dz, &x, &k, shape, &taps, input_gradient);
                let (fk, fx) = framed::conv_backward(&dz, &x, &k, shape, input_gradient);
                assert_eq!(bits(&fk), bits(&dk), "{n} {cin} {cout} {side}");
                assert_eq!(bits(&fx), bits(&dx), "{n} {cin} {cout} {side}");
                assert_eq!(dx.len(), if input_gradient { x.len() } else { 0 });
            }
            // The textbook sum at every output.
            for s in 0..n {
                for co in 0..cout {
                    for y in 0..side {
                        for xx in 0..side {
                            let mut want = 0.0f64;
                            for ci in 0..cin {
                                for dy in 0..3 {
                                    for dx in 0..3 {
                                        let (yy, xc) = (y + dy, xx + dx);
                                        if yy < 1 || xc < 1 || yy > side || xc > side {
                                            continue;
                                        }
                                        let i = (s * cin + ci) * area + (yy - 1) * side + xc - 1;
                                        want += k[((co * cin + ci) * 3 + dy) * 3 + dx] * x[i];
                                    }
                                }
                            }
                            let got = z[(s * cout + co) * area + y * side + xx];
                            assert_eq!(got.to_bits(), want.to_bits());
                        }
                    }
                }
            }
        }
    }
}
