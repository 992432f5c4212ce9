//! `--arith mp` up to 512 bits without allocation: a binary float whose significand is `N`
//! 64-bit words on the stack.
//!
//! [`Fixed<N>`] rounds to the current thread's precision p ≤ 64·N bits (set by
//! [`super::with_precision`], as for [`super::Mp`]). + − × ÷ and √ are computed exactly and
//! rounded once, to nearest with ties to even: the numbers are those MPFR computes at the same
//! precision, bit for bit (tested against MPFR under the `mpfr` feature, and against the exact
//! rational result of the operands in every build). exp, ln and ln(1+x) are delegated to
//! [`super::MpRun`] at the same precision (MPFR with the `mpfr` feature, dashu-float without), so
//! with the `mpfr` feature a run in `Fixed` is the run in MPFR, number for number.
//!
//! Why it exists: at 128–512 bits a float's arithmetic is a few multiplications of 64-bit
//! words; MPFR and dashu-float spend more than that on allocation, thread-local state and
//! generic dispatch (README, "Arithmetic"). A value that is not a number (x/0, √ of a negative,
//! ln of a non-positive) is carried as NaN and reported as diverged, never as a value.

use std::cmp::Ordering;
use std::fmt;
use std::ops::{Add, AddAssign, Div, DivAssign, Mul, MulAssign, Neg, Sub, SubAssign};

use dashu_base::{BitTest, DivRem, SquareRootRem, UnsignedAbs};
use dashu_int::{IBig, UBig};
use num_modular::Normalized2by1Divisor;

use super::mp::precision;
use super::{Field, Magnitude, MpRun, Rational, Real};

/// The most 64-bit words of a [`Fixed`] significand (512 bits).
pub const MAX_WORDS: usize = 9;

/// Guard bits of exp, ln and ln(1+x) in the default build: computed at p + 64 bits in a wider
/// [`Fixed`], then rounded once to p.
const GUARD: u32 = 64;

/// A binary float with an `N`-word significand, rounded to the thread's precision.
#[derive(Clone, Copy)]
pub struct Fixed<const N: usize> {
    /// Significand, least significant word first. Normalized: the top bit of `m[N − 1]` is set
    /// (but for 0, all words 0), and only the top p bits may be nonzero.
    m: [u64; N],
    /// value = (−1)^neg · m · 2^(e − 64N), so |value| ∈ [2^(e−1), 2^e).
    e: i64,
    neg: bool,
    /// Not a number (x/0, √−1, ln 0): every operation passes it on.
    nan: bool,
}

/// Bit `i` of `w`.
fn bit(w: &[u64], i: usize) -> bool {
    w.get(i / 64).is_some_and(|x| (x >> (i % 64)) & 1 == 1)
}

/// Whether any of bits `0..i` of `w` is set.
fn any_below(w: &[u64], i: usize) -> bool {
    let (q, r) = (i / 64, i % 64);
    w[..q.min(w.len())].iter().any(|&x| x != 0)
        || (r > 0 && w.get(q).is_some_and(|&x| x & ((1u64 << r) - 1) != 0))
}

#[cfg(test)]
thread_local! {
    /// How often [`long_division`] added the divisor back (its rarest path), for the tests.
    static ADD_BACKS: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// Knuth's algorithm D (TAOCP vol. 2, 4.3.1) on 64-bit digits, without allocation:
/// `q` ← ⌊u · 2^(64·(q.len() − 1)) / v⌋ for a normalized divisor `v` (top bit of its last word
/// set) and `u` of the same length with `q.len() = u.len() + 2`; returns whether the remainder is
/// nonzero. Words are least significant first.
fn long_division(u: &[u64], v: &[u64], q: &mut [u64]) -> bool {
    let n = v.len();
    debug_assert!(u.len() == n && q.len() == n + 2 && v[n - 1] >> 63 == 1);
    // The dividend u · 2^(64(n+1)): n + 1 zero words below u, and the extra top word of
    // algorithm D.
    let m = n + 1;
    let mut un = [0u64; 2 * MAX_WORDS + 2];
    un[m..m + n].copy_from_slice(u);
    let b = 1u128 << 64;
    let top = u128::from(v[n - 1]);
    let divisor = Normalized2by1Divisor::<u64>::new(v[n - 1]);
    for j in (0..=m).rev() {
        // Estimate the quotient digit from the top two words and correct it with the third
        // (at most two corrections; then at most one add-back below). The partial remainder
        // is below v, so un[j + n] ≤ v[n − 1]; at equality ⌊num/top⌋ ≥ b and the estimate
        // starts from b − 1, with remainder num − (b − 1)·top.
        let (mut qhat, mut rhat) = if un[j + n] >= v[n - 1] {
            (b - 1, u128::from(un[j + n - 1]) + top)
        } else {
            let num = (u128::from(un[j + n]) << 64) | u128::from(un[j + n - 1]);
            let (q, r) = divisor.div_rem_2by1(num);
            (u128::from(q), u128::from(r))
        };
        while rhat < b
            && n >= 2
            && qhat * u128::from(v[n - 2]) > ((rhat << 64) | u128::from(un[j + n - 2]))
        {
            qhat -= 1;
            rhat += top;
        }
        // un[j..=j+n] −= qhat · v.
        let mut k: i128 = 0;
        for i in 0..n {
            let p = qhat * u128::from(v[i]);
            let t = i128::from(un[i + j]) - k - i128::from(p as u64);
            un[i + j] = t as u64;
            k = (p >> 64) as i128 - (t >> 64);
        }
        let t = i128::from(un[j + n]) - k;
        un[j + n] = t as u64;
        let mut digit = qhat as u64;
        if t < 0 {
            // qhat was one too large: add v back.
            #[cfg(test)]
            ADD_BACKS.with(|c| c.set(c.get() + 1));
            digit = digit.wrapping_sub(1);
            let mut carry = 0u128;
            for i in 0..n {
                let s = u128::from(un[i + j]) + u128::from(v[i]) + carry;
                un[i + j] = s as u64;
                carry = s >> 64;
            }
            un[j + n] = un[j + n].wrapping_add(carry as u64);
        }
        q[j] = digit;
    }
    un[..n].iter().any(|&x| x != 0)
}

impl<const N: usize> Fixed<N> {
    const ZERO: Self = Fixed {
        m: [0; N],
        e: 0,
        neg: false,
        nan: false,
    };
    const NAN: Self = Fixed {
        m: [0; N],
        e: 0,
        neg: false,
        nan: true,
    };

    fn bits() -> i64 {
        let p = precision();
        debug_assert!(p <= 64 * N, "precision {p} above Fixed<{N}>");
        p as i64
    }

    fn is_zero_value(&self) -> bool {
        !self.nan && self.m[N - 1] == 0
    }

    /// The exact value (−1)^neg · (W + s) · 2^lsb, W the integer with words `w` and s ∈ (0, 1)
    /// present iff `sticky`, rounded to p bits (to nearest, ties to even). Callers pass at least
    /// p + 2 bits of W whenever `sticky` is set, so the rounding direction is decided.
    fn round(neg: bool, w: &[u64], lsb: i64, sticky: bool) -> Self {
        let Some(top) = w.iter().rposition(|&x| x != 0) else {
            return Self::ZERO;
        };
        // Normalize: the top bit of word `top` moves to bit 63; the N words from there down are
        // the candidate significand, the bit below them rounds, anything lower is sticky.
        let lz = w[top].leading_zeros();
        let shifted = |k: usize| -> u64 {
            // word k of W << lz
            let lo = if k >= 1 { w[k - 1] } else { 0 };
            if lz == 0 {
                w[k]
            } else {
                (w[k] << lz) | (lo >> (64 - lz))
            }
        };
        let mut m = [0u64; N];
        for (j, word) in m.iter_mut().enumerate() {
            // m[j] is word top − (N − 1 − j) of the shifted integer.
            if let Some(k) = (top + j + 1).checked_sub(N) {
                *word = shifted(k);
            }
        }
        let (half, tail) = match (top + 1).checked_sub(N + 1) {
            Some(k) => {
                let next = shifted(k);
                // Bits of W below word k of the shifted integer: w[..k] shifted, minus the
                // `lz` top bits of w[k − 1] already in `next`.
                let spill = k >= 1 && lz < 64 && (w[k - 1] << lz) != 0;
                let lower = w[..k.saturating_sub(1)].iter().any(|&x| x != 0);
                (next >> 63 == 1, next << 1 != 0 || spill || lower || sticky)
            }
            None => (false, sticky),
        };
        let len = 64 * top as i64 + 64 - i64::from(lz);
        debug_assert!(!sticky || len >= Self::bits() + 2, "undecided rounding");
        let e = lsb + len;
        Self::finish(neg, m, e, half, tail)
    }

    /// Rounds the normalized significand `m` (top bit set) with `half` the bit below its last
    /// word and `tail` whether anything below that is nonzero, to p bits, to nearest, ties to
    /// even.
    #[inline(always)]
    fn finish(neg: bool, mut m: [u64; N], e: i64, half: bool, tail: bool) -> Self {
        if Self::bits() < 64 * N as i64 {
            return Self::finish_short(neg, m, e, half, tail);
        }
        // Constant indices only, so that `m` stays in registers.
        let mut carry = false;
        if half && (tail || m[0] & 1 == 1) {
            carry = true;
            for word in m.iter_mut() {
                (*word, carry) = word.overflowing_add(u64::from(carry));
            }
        }
        Self::assemble(neg, m, e, carry)
    }

    /// The value with significand `m`, or — when rounding up carried out of `m` (it was all
    /// ones) — the next power of two: 2^(64N−1) with the exponent one higher.
    #[inline(always)]
    fn assemble(neg: bool, m: [u64; N], e: i64, carried: bool) -> Self {
        if carried {
            let mut top = [0; N];
            top[N - 1] = 1 << 63;
            return Fixed {
                m: top,
                e: e + 1,
                neg,
                nan: false,
            };
        }
        Fixed {
            m,
            e,
            neg,
            nan: false,
        }
    }

    /// [`Fixed::finish`] at a precision p below 64·N bits: the last 64·N − p bits go too.
    #[inline(never)]
    fn finish_short(neg: bool, mut m: [u64; N], e: i64, half: bool, tail: bool) -> Self {
        let dropped = (64 * N as i64 - Self::bits()) as usize;
        let r = dropped - 1;
        let cut = bit(&m, r);
        let rest = half || tail || any_below(&m, r);
        for (k, word) in m.iter_mut().enumerate() {
            let lo = 64 * k;
            if lo + 64 <= dropped {
                *word = 0;
            } else if lo < dropped {
                *word &= !((1u64 << (dropped - lo)) - 1);
            }
        }
        let mut carry = false;
        if cut && (rest || bit(&m, dropped)) {
            // One unit in the last kept place.
            carry = true;
            let mut k = dropped / 64;
            let mut add = 1u64 << (dropped % 64);
            while carry && k < N {
                (m[k], carry) = m[k].overflowing_add(add);
                add = 1;
                k += 1;
            }
        }
        Self::assemble(neg, m, e, carry)
    }

    /// |self| against |other| (neither NaN).
    fn cmp_magnitude(&self, other: &Self) -> Ordering {
        match (self.is_zero_value(), other.is_zero_value()) {
            (true, true) => return Ordering::Equal,
            (true, false) => return Ordering::Less,
            (false, true) => return Ordering::Greater,
            _ => {}
        }
        self.e
            .cmp(&other.e)
            .then_with(|| self.m.iter().rev().cmp(other.m.iter().rev()))
    }

    /// self + (−1)^flip · other, rounded once.
    fn add_signed(&self, other: &Self, flip: bool) -> Self {
        if self.nan || other.nan {
            return Self::NAN;
        }
        let other_neg = other.neg ^ flip;
        if other.is_zero_value() {
            return *self;
        }
        if self.is_zero_value() {
            return Fixed {
                neg: other_neg,
                ..*other
            };
        }
        // A sum only needs x with the larger exponent; a difference needs |x| ≥ |y|.
        let swap = if self.neg == other_neg {
            self.e < other.e
        } else {
            self.cmp_magnitude(other) == Ordering::Less
        };
        let (x, x_neg, y, y_neg) = if swap {
            (other, other_neg, self, self.neg)
        } else {
            (self, self.neg, other, other_neg)
        };
        if N == 2 {
            return Self::add2(x, x_neg, y, y_neg);
        }
        // y aligned to x: Y = y.m · 2^64 >> d, a guard word `yg` below N words `ym`; `sticky`
        // when bits of y fall below the guard word.
        let d = x.e - y.e;
        let mut ym = [0u64; N];
        let mut yg = 0u64;
        let sticky = if d == 0 {
            ym = y.m;
            false
        } else if d < 64 {
            // The common case in a running sum: a shift within words, nothing below the guard.
            let r = d as u32;
            yg = y.m[0] << (64 - r);
            for (j, w) in ym.iter_mut().enumerate() {
                let hi = if j + 1 < N { y.m[j + 1] << (64 - r) } else { 0 };
                *w = (y.m[j] >> r) | hi;
            }
            false
        } else if d >= 64 * (N as i64 + 1) {
            true
        } else {
            let (q, r) = ((d / 64) as usize, (d % 64) as u32);
            // word k of Y (k = 0 is the guard word) is bits 64(k + q − 1) + r .. of y.m.
            let word = |k: usize| -> u64 {
                let src = k + q;
                let lo = if src >= 1 && src <= N {
                    y.m[src - 1]
                } else {
                    0
                };
                let hi = if src < N { y.m[src] } else { 0 };
                if r == 0 {
                    lo
                } else {
                    (lo >> r) | (hi << (64 - r))
                }
            };
            yg = word(0);
            for (k, w) in ym.iter_mut().enumerate() {
                *w = word(k + 1);
            }
            d > 64 && any_below(&y.m, (d - 64) as usize)
        };
        let e = x.e;
        if x_neg == y_neg {
            // x's guard word is 0: the sum's guard word is y's, with no carry out of it.
            let g = yg;
            let mut carry = false;
            let mut m = x.m;
            for (w, add) in m.iter_mut().zip(ym) {
                let (s1, c1) = w.overflowing_add(add);
                let (s2, c2) = s1.overflowing_add(u64::from(carry));
                *w = s2;
                carry = c1 || c2;
            }
            return if carry {
                // One bit longer: shift right by one, the carry on top.
                let shifted: [u64; N] = std::array::from_fn(|j| {
                    let hi = if j + 1 < N { m[j + 1] << 63 } else { 1 << 63 };
                    (m[j] >> 1) | hi
                });
                Self::finish(x_neg, shifted, e + 1, m[0] & 1 == 1, g != 0 || sticky)
            } else {
                Self::finish(x_neg, m, e, g >> 63 == 1, g << 1 != 0 || sticky)
            };
        }
        // x − (Y + s) = (x − Y − 1) + (1 − s): the sticky part borrows one unit and stays.
        let (g, b1) = 0u64.overflowing_sub(yg);
        let (g, b2) = g.overflowing_sub(u64::from(sticky));
        let mut borrow = b1 || b2;
        let mut m = x.m;
        for (w, sub) in m.iter_mut().zip(ym) {
            let (s1, c1) = w.overflowing_sub(sub);
            let (s2, c2) = s1.overflowing_sub(u64::from(borrow));
            *w = s2;
            borrow = c1 || c2;
        }
        debug_assert!(!borrow, "|x| ≥ |y| was ordered above");
        if m[N - 1] >> 63 == 1 {
            return Self::finish(x_neg, m, e, g >> 63 == 1, g << 1 != 0 || sticky);
        }
        if m[N - 1] >> 62 == 1 {
            // One bit of cancellation: shift left by one.
            let shifted: [u64; N] = std::array::from_fn(|j| {
                let lo = if j >= 1 { m[j - 1] } else { g };
                (m[j] << 1) | (lo >> 63)
            });
            return Self::finish(
                x_neg,
                shifted,
                e - 1,
                (g >> 62) & 1 == 1,
                g << 2 != 0 || sticky,
            );
        }
        let mut r = [0u64; MAX_WORDS + 1];
        r[0] = g;
        r[1..=N].copy_from_slice(&m);
        Self::round(x_neg, &r[..=N], e - 64 * N as i64 - 64, sticky)
    }

    fn mul_value(&self, other: &Self) -> Self {
        if self.nan || other.nan {
            return Self::NAN;
        }
        if self.is_zero_value() || other.is_zero_value() {
            return Self::ZERO;
        }
        if N == 2 {
            return self.mul2(other);
        }
        // The outer loop skips zero words: a value read from an f64 or a small ratio has one or
        // two nonzero words, so a product with it costs N word products instead of N².
        let (a, b) = if self.m[0] == 0 {
            (&self.m, &other.m)
        } else {
            (&other.m, &self.m)
        };
        let mut prod = [0u64; 2 * MAX_WORDS];
        for i in 0..N {
            if a[i] == 0 {
                continue;
            }
            let mut carry = 0u128;
            for j in 0..N {
                let t = u128::from(a[i]) * u128::from(b[j]) + u128::from(prod[i + j]) + carry;
                prod[i + j] = t as u64;
                carry = t >> 64;
            }
            prod[i + N] = carry as u64;
        }
        let neg = self.neg ^ other.neg;
        let e = self.e + other.e;
        let lower = prod[..N - 1].iter().any(|&x| x != 0);
        let next = prod[N - 1];
        if prod[2 * N - 1] >> 63 == 1 {
            let m: [u64; N] = std::array::from_fn(|j| prod[N + j]);
            Self::finish(neg, m, e, next >> 63 == 1, next << 1 != 0 || lower)
        } else {
            // Both factors are in [1/2, 1): the product is in [1/4, 1), at most one bit short.
            let m: [u64; N] = std::array::from_fn(|j| (prod[N + j] << 1) | (prod[N + j - 1] >> 63));
            Self::finish(
                neg,
                m,
                e - 1,
                (next >> 62) & 1 == 1,
                next << 2 != 0 || lower,
            )
        }
    }

    /// The significand of a two-word value as one integer.
    #[inline(always)]
    fn wide2(&self) -> u128 {
        (u128::from(self.m[N - 1]) << 64) | u128::from(self.m[0])
    }

    /// [`Fixed::finish`] for two words (N = 2), on a `u128` significand `m` (top bit set).
    #[inline(always)]
    fn finish2(neg: bool, m: u128, e: i64, half: bool, tail: bool) -> Self {
        let dropped = 128 - Self::bits() as u32;
        let (m, up) = if dropped == 0 {
            (m, half && (tail || m & 1 == 1))
        } else {
            // Keep the top p bits; the first dropped bit rounds, the rest and (half, tail) are
            // sticky; ties go to the even kept bit.
            let r = dropped - 1;
            let cut = (m >> r) & 1 == 1;
            let rest = half || tail || m & ((1u128 << r) - 1) != 0;
            let kept = m & !((1u128 << dropped) - 1);
            (kept, cut && (rest || (kept >> dropped) & 1 == 1))
        };
        let (m, carried) = if up {
            m.overflowing_add(1u128 << dropped)
        } else {
            (m, false)
        };
        let mut words = [0u64; N];
        words[0] = m as u64;
        words[N - 1] = (m >> 64) as u64;
        Self::assemble(neg, words, e, carried)
    }

    /// [`Fixed::add_signed`] for two words: x + y with x the operand of larger exponent (of
    /// larger magnitude when the signs differ), both nonzero; the same steps on `u128`s: y
    /// aligned to x with a guard word and a sticky bit, then one rounding.
    #[inline(always)]
    fn add2(x: &Self, x_neg: bool, y: &Self, y_neg: bool) -> Self {
        let (xm, ym) = (x.wide2(), y.wide2());
        let d = x.e - y.e;
        // Y = ym >> d as `yh`, the next 64 bits `yg`, anything lower `sticky`.
        let (yh, yg, sticky) = if d == 0 {
            (ym, 0, false)
        } else if d < 128 {
            let below = ym << (128 - d);
            (ym >> d, (below >> 64) as u64, below as u64 != 0)
        } else if d < 192 {
            let s = d - 64;
            (0, (ym >> s) as u64, ym & ((1u128 << s) - 1) != 0)
        } else {
            (0, 0, true)
        };
        let e = x.e;
        if x_neg == y_neg {
            let (m, carry) = xm.overflowing_add(yh);
            return if carry {
                let shifted = (m >> 1) | (1 << 127);
                Self::finish2(x_neg, shifted, e + 1, m & 1 == 1, yg != 0 || sticky)
            } else {
                Self::finish2(x_neg, m, e, yg >> 63 == 1, yg << 1 != 0 || sticky)
            };
        }
        // x − (Y + s) = (x − Y − 1) + (1 − s): the sticky part borrows one unit and stays.
        let (g, b1) = 0u64.overflowing_sub(yg);
        let (g, b2) = g.overflowing_sub(u64::from(sticky));
        let m = xm.wrapping_sub(yh).wrapping_sub(u128::from(b1 || b2));
        if m >> 127 == 1 {
            return Self::finish2(x_neg, m, e, g >> 63 == 1, g << 1 != 0 || sticky);
        }
        if m >> 126 == 1 {
            // One bit of cancellation: shift left by one.
            let shifted = (m << 1) | u128::from(g >> 63);
            return Self::finish2(
                x_neg,
                shifted,
                e - 1,
                (g >> 62) & 1 == 1,
                g << 2 != 0 || sticky,
            );
        }
        // Two or more bits cancelled: then d ≤ 1 (for d ≥ 2, |x| − |y| > 2^(e−2)), so y had
        // at most one bit below x's last place, nothing is sticky, and the difference is the
        // exact 129-bit integer 2m + g/2^63 in units of 2^(e − 129).
        debug_assert!(d <= 1 && !sticky && g << 1 == 0);
        let v = (m << 1) | u128::from(g >> 63);
        if v == 0 {
            return Self::ZERO;
        }
        let lz = v.leading_zeros();
        Self::finish2(x_neg, v << lz, e - 1 - i64::from(lz), false, false)
    }

    /// [`Fixed::mul_value`] for two words: the 256-bit product of the significands from four
    /// word products, normalized by at most one bit, rounded once.
    #[inline(always)]
    fn mul2(&self, other: &Self) -> Self {
        let (a1, a0) = (u128::from(self.m[N - 1]), u128::from(self.m[0]));
        let (b1, b0) = (u128::from(other.m[N - 1]), u128::from(other.m[0]));
        let (p00, p01, p10, p11) = (a0 * b0, a0 * b1, a1 * b0, a1 * b1);
        // Middle column: the low word of p00's carry-in plus the two cross products.
        let mid = (p00 >> 64) + (p01 & u128::from(u64::MAX)) + (p10 & u128::from(u64::MAX));
        let lo = (p00 & u128::from(u64::MAX)) | (mid << 64);
        let hi = p11 + (p01 >> 64) + (p10 >> 64) + (mid >> 64);
        let neg = self.neg ^ other.neg;
        let e = self.e + other.e;
        if hi >> 127 == 1 {
            Self::finish2(neg, hi, e, lo >> 127 == 1, lo << 1 != 0)
        } else {
            // Both factors are in [1/2, 1): the product is in [1/4, 1), at most one bit short.
            let m = (hi << 1) | (lo >> 127);
            Self::finish2(neg, m, e - 1, (lo >> 126) & 1 == 1, lo << 2 != 0)
        }
    }

    /// (−1)^neg · num/den · 2^exp2, rounded once.
    fn from_ratio_of(neg: bool, num: &UBig, den: &UBig, exp2: i64) -> Self {
        if den.is_zero() {
            return Self::NAN;
        }
        if num.is_zero() {
            return Self::ZERO;
        }
        let (bn, bd) = (num.bit_len() as i64, den.bit_len() as i64);
        let k = (Self::bits() + 2 + bd - bn).max(0);
        let (q, r) = (num << k as usize).div_rem(den);
        Self::round(neg, q.as_words(), exp2 - k, !r.is_zero())
    }

    fn div_value(&self, other: &Self) -> Self {
        if self.nan || other.nan || other.is_zero_value() {
            return Self::NAN;
        }
        if self.is_zero_value() {
            return Self::ZERO;
        }
        // q = ⌊M_self · 2^(64(N+1)) / M_other⌋ has at least 64N + 64 ≥ p + 2 bits (both
        // significands are normalized), so with the remainder's sticky bit it rounds correctly.
        let mut q = [0u64; MAX_WORDS + 2];
        let sticky = long_division(&self.m, &other.m, &mut q[..N + 2]);
        Self::round(
            self.neg ^ other.neg,
            &q[..N + 2],
            self.e - other.e - 64 * (N as i64 + 1),
            sticky,
        )
    }

    fn sqrt_value(&self) -> Self {
        if self.nan || (self.neg && !self.is_zero_value()) {
            return Self::NAN;
        }
        if self.is_zero_value() {
            return Self::ZERO;
        }
        let width = 64 * N as i64;
        let mut j = (2 * Self::bits() + 4 - width).max(0);
        if (self.e - width - j).rem_euclid(2) == 1 {
            j += 1;
        }
        let (s, r) = (UBig::from_words(&self.m) << j as usize).sqrt_rem();
        Self::round(false, s.as_words(), (self.e - width - j) / 2, !r.is_zero())
    }

    /// x / d for a small positive integer d, rounded once (word-by-word long division).
    fn div_small(&self, d: u64) -> Self {
        if self.nan || self.is_zero_value() {
            return *self;
        }
        // ⌊A/d⌋ = ⌊(A·2^s)/(d·2^s)⌋ with d·2^s normalized, A = m·2^128: two extra low words give
        // the quotient at least 64·N + 64 bits before rounding, one extra high word takes the
        // shift.
        let s = d.leading_zeros();
        let divisor = Normalized2by1Divisor::<u64>::new(d << s);
        let mut a = [0u64; MAX_WORDS + 3];
        let word = |i: usize| {
            if (2..N + 2).contains(&i) {
                self.m[i - 2]
            } else {
                0
            }
        };
        for (k, ak) in a.iter_mut().enumerate().take(N + 3) {
            let below = if k >= 1 { word(k - 1) } else { 0 };
            *ak = if s == 0 {
                word(k)
            } else {
                (word(k) << s) | (below >> (64 - s))
            };
        }
        let mut q = [0u64; MAX_WORDS + 3];
        let mut rem = 0u64;
        for k in (0..N + 3).rev() {
            (q[k], rem) = divisor.div_rem_2by1((u128::from(rem) << 64) | u128::from(a[k]));
        }
        Self::round(
            self.neg,
            &q[..N + 3],
            self.e - 64 * N as i64 - 128,
            rem != 0,
        )
    }

    /// x · 2^k, exact.
    fn scale2(&self, k: i64) -> Self {
        if self.nan || self.is_zero_value() {
            return *self;
        }
        Fixed {
            e: self.e + k,
            ..*self
        }
    }

    /// The same value in another width, rounded to the current precision (exact when widening).
    fn convert<const M: usize>(x: &Fixed<M>) -> Self {
        if x.nan {
            return Self::NAN;
        }
        Self::round(x.neg, &x.m, x.e - 64 * M as i64, false)
    }

    /// The significand as an integer and the exponent of its last bit.
    fn parts(&self) -> (IBig, i64) {
        let m = IBig::from(UBig::from_words(&self.m));
        (if self.neg { -m } else { m }, self.e - 64 * N as i64)
    }

    /// The exact value as a rational; None for NaN.
    pub fn to_rational(&self) -> Option<Rational> {
        if self.nan {
            return None;
        }
        let (m, e) = self.parts();
        Some(super::rational::dyadic(&m, e as isize))
    }

    /// A signed integer times 2^exp2, rounded once.
    fn from_parts(m: &IBig, exp2: i64) -> Self {
        let neg = *m < IBig::ZERO;
        let words = m.unsigned_abs();
        Self::round(neg, words.as_words(), exp2, false)
    }

    /// The value in the run's mp type (exact: it has p bits).
    /// (Not called for NaN: [`Fixed::via_run`] and `Display` answer it first.)
    #[cfg(not(feature = "mpfr"))]
    fn as_run(&self) -> MpRun {
        let (m, e) = self.parts();
        MpRun::from_dyadic(m, e as isize)
    }

    #[cfg(not(feature = "mpfr"))]
    fn from_run(x: &MpRun) -> Self {
        let (m, e) = x.dyadic_parts();
        Self::from_parts(&m, e as i64)
    }

    #[cfg(feature = "mpfr")]
    fn as_run(&self) -> MpRun {
        if self.nan {
            return MpRun::nan();
        }
        let (m, e) = self.parts();
        MpRun::from_dyadic(&m, e)
    }

    #[cfg(feature = "mpfr")]
    fn from_run(x: &MpRun) -> Self {
        match x.dyadic_parts() {
            Some((m, e)) => Self::from_parts(&m, e),
            None => Self::NAN,
        }
    }

    /// f(x) in the run's mp type at the same precision: exp, ln and ln(1+x).
    fn via_run(&self, f: impl Fn(&MpRun) -> MpRun) -> Self {
        if self.nan {
            return Self::NAN;
        }
        Self::from_run(&f(&self.as_run()))
    }
}

impl<const N: usize> fmt::Debug for Fixed<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Fixed<{N}>({self})")
    }
}

impl<const N: usize> fmt::Display for Fixed<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.nan {
            return write!(f, "NaN");
        }
        write!(f, "{}", self.as_run())
    }
}

impl<const N: usize> PartialEq for Fixed<N> {
    fn eq(&self, other: &Self) -> bool {
        self.partial_cmp(other) == Some(Ordering::Equal)
    }
}

impl<const N: usize> PartialOrd for Fixed<N> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        if self.nan || other.nan {
            return None;
        }
        let sign = |x: &Self| {
            if x.is_zero_value() {
                0
            } else if x.neg {
                -1
            } else {
                1
            }
        };
        let (a, b) = (sign(self), sign(other));
        if a != b {
            return Some(a.cmp(&b));
        }
        let by_size = self.cmp_magnitude(other);
        Some(if a < 0 { by_size.reverse() } else { by_size })
    }
}

impl<const N: usize> Add for Fixed<N> {
    type Output = Self;
    fn add(self, rhs: Self) -> Self {
        self.add_signed(&rhs, false)
    }
}

impl<const N: usize> Sub for Fixed<N> {
    type Output = Self;
    fn sub(self, rhs: Self) -> Self {
        self.add_signed(&rhs, true)
    }
}

impl<const N: usize> Mul for Fixed<N> {
    type Output = Self;
    fn mul(self, rhs: Self) -> Self {
        self.mul_value(&rhs)
    }
}

impl<const N: usize> Div for Fixed<N> {
    type Output = Self;
    fn div(self, rhs: Self) -> Self {
        self.div_value(&rhs)
    }
}

impl<const N: usize> AddAssign for Fixed<N> {
    fn add_assign(&mut self, rhs: Self) {
        *self = self.add_signed(&rhs, false);
    }
}

impl<const N: usize> SubAssign for Fixed<N> {
    fn sub_assign(&mut self, rhs: Self) {
        *self = self.add_signed(&rhs, true);
    }
}

impl<const N: usize> MulAssign for Fixed<N> {
    fn mul_assign(&mut self, rhs: Self) {
        *self = self.mul_value(&rhs);
    }
}

impl<const N: usize> DivAssign for Fixed<N> {
    fn div_assign(&mut self, rhs: Self) {
        *self = self.div_value(&rhs);
    }
}

impl<const N: usize> Neg for Fixed<N> {
    type Output = Self;
    fn neg(self) -> Self {
        if self.nan || self.is_zero_value() {
            return self;
        }
        Fixed {
            neg: !self.neg,
            ..self
        }
    }
}

impl<const N: usize> num_traits::Zero for Fixed<N> {
    fn zero() -> Self {
        Self::ZERO
    }
    fn is_zero(&self) -> bool {
        self.is_zero_value()
    }
}

impl<const N: usize> num_traits::One for Fixed<N> {
    fn one() -> Self {
        Self::round(false, &[1], 0, false)
    }
}

impl<const N: usize> Field for Fixed<N> {
    const NAME: &'static str = "mp";
    const EXACT: bool = false;

    fn from_rational(r: &Rational) -> Self {
        let neg = *r.numerator() < IBig::ZERO;
        Self::from_ratio_of(neg, &r.numerator().unsigned_abs(), r.denominator(), 0)
    }

    fn from_ratio(num: i64, den: i64) -> Self {
        let neg = (num < 0) != (den < 0);
        let (num, den) = (num.unsigned_abs(), den.unsigned_abs());
        if den == 1 {
            return Self::round(neg, &[num], 0, false);
        }
        Self::from_ratio_of(neg, &UBig::from(num), &UBig::from(den), 0)
    }

    fn to_f64(&self) -> f64 {
        if self.nan {
            return f64::NAN;
        }
        if self.is_zero_value() {
            return 0.0;
        }
        // The top word with every lower bit folded into its last bit: 11 bits below f64's
        // rounding position, so the conversion rounds as the full significand would.
        let sticky = self.m[..N - 1].iter().any(|&x| x != 0);
        let top = (self.m[N - 1] | u64::from(sticky)) as f64;
        // value ≈ top · 2^(e − 64); top ∈ [2^63, 2^64], so the result's exponent is about e.
        let scale = self.e - 64;
        // 2^(e − 64) must itself be a normal f64 for the product to be exact (powi of a large
        // negative exponent is 1/2^n, which overflows to 1/∞ = 0 below 2^−1022).
        let magnitude = if (-958..=1000).contains(&self.e) {
            top * 2f64.powi(scale as i32)
        } else if self.e > 1024 {
            f64::INFINITY
        } else {
            // Near or below f64's subnormal range: convert through the exact value.
            self.as_run().to_f64().abs()
        };
        if self.neg {
            -magnitude
        } else {
            magnitude
        }
    }

    fn unit_roundoff() -> Magnitude {
        Magnitude::pow2(-(Self::bits() as f64))
    }

    fn magnitude(&self) -> Magnitude {
        if self.nan {
            return Magnitude::DIVERGED;
        }
        if self.is_zero_value() {
            return Magnitude::ZERO;
        }
        Magnitude::from_log2((self.m[N - 1] as f64).log2() + (self.e - 64) as f64)
    }

    fn size_bits(&self) -> u64 {
        Self::bits() as u64
    }

    fn mul_ref(&self, rhs: &Self) -> Self {
        self.mul_value(rhs)
    }

    fn add_assign_ref(&mut self, rhs: &Self) {
        *self = self.add_signed(rhs, false);
    }

    fn sub_assign_ref(&mut self, rhs: &Self) {
        *self = self.add_signed(rhs, true);
    }

    fn mul_assign_ref(&mut self, rhs: &Self) {
        *self = self.mul_value(rhs);
    }

    fn div_assign_ref(&mut self, rhs: &Self) {
        *self = self.div_value(rhs);
    }

    fn add_product(&mut self, a: &Self, b: &Self) {
        *self = self.add_signed(&a.mul_value(b), false);
    }

    fn try_sqrt(&self) -> Option<Self> {
        (!self.neg || self.is_zero_value()).then(|| self.sqrt_value())
    }
}

impl<const N: usize> Real for Fixed<N> {
    fn sqrt(&self) -> Self {
        self.sqrt_value()
    }
    fn exp(&self) -> Self {
        self.transcendental(Kind::Exp)
    }
    fn ln(&self) -> Self {
        if self.neg || self.is_zero_value() {
            return Self::NAN;
        }
        self.transcendental(Kind::Ln)
    }
    fn ln_1p(&self) -> Self {
        if *self <= -<Self as num_traits::One>::one() {
            return Self::NAN;
        }
        self.transcendental(Kind::Ln1p)
    }
    fn from_f64(x: f64) -> Self {
        if !x.is_finite() {
            return Self::ZERO;
        }
        if x == 0.0 {
            return Self::ZERO;
        }
        let bits = x.to_bits();
        let biased = ((bits >> 52) & 0x7ff) as i64;
        let fraction = bits & ((1u64 << 52) - 1);
        let (m, e) = if biased == 0 {
            (fraction, -1074)
        } else {
            (fraction | (1u64 << 52), biased - 1075)
        };
        Self::round(x < 0.0, &[m], e, false)
    }
    fn epsilon() -> Self {
        Self::round(false, &[1], -Self::bits(), false)
    }
}

/// Which function [`Fixed::transcendental`] computes.
#[derive(Clone, Copy)]
pub(crate) enum Kind {
    Exp,
    Ln,
    Ln1p,
}

impl<const N: usize> Fixed<N> {
    /// exp, ln or ln(1+x). With the `mpfr` feature: MPFR's correctly rounded result at the same
    /// precision (so that a run in `Fixed` is the run in MPFR). Without it: computed at p + 64
    /// bits in a wider `Fixed` ([`wide`]) and rounded once to p — within an ulp, and correctly
    /// rounded unless the exact value lies within 2^(−p−40) relative of a rounding boundary.
    fn transcendental(&self, kind: Kind) -> Self {
        if self.nan {
            return Self::NAN;
        }
        if cfg!(feature = "mpfr") {
            return self.via_run(|x| match kind {
                Kind::Exp => x.exp(),
                Kind::Ln => x.ln(),
                Kind::Ln1p => x.ln_1p(),
            });
        }
        self.native(kind)
    }

    /// The default build's exp, ln and ln(1+x) (see [`Fixed::transcendental`]); public to the
    /// crate so that the `mpfr` build tests them too.
    pub(crate) fn native(&self, kind: Kind) -> Self {
        let p = Self::bits() as u32;
        let q = p + GUARD;
        macro_rules! at {
            ($w:literal) => {{
                let wide = super::with_precision(q, || {
                    let x = Fixed::<$w>::convert(self);
                    wide::<$w>(&x, kind, q)
                });
                Self::convert(&wide)
            }};
        }
        if q <= 192 {
            at!(3)
        } else if q <= 256 {
            at!(4)
        } else if q <= 384 {
            at!(6)
        } else {
            at!(9)
        }
    }
}

thread_local! {
    /// ln 2 per precision: (bits, significand words, exponent).
    static LN2: std::cell::RefCell<Vec<(u32, Vec<u64>, i64)>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// ln 2 at the current precision q: 2·atanh(1/3) = Σ_{j≥0} 2 / ((2j + 1)·3^(2j+1)), cached.
fn ln2<const W: usize>(q: u32) -> Fixed<W> {
    let cached = LN2.with(|c| {
        c.borrow()
            .iter()
            .find(|(bits, words, _)| *bits == q && words.len() == W)
            .map(|(_, words, e)| {
                let mut m = [0u64; W];
                m.copy_from_slice(words);
                Fixed {
                    m,
                    e: *e,
                    neg: false,
                    nan: false,
                }
            })
    });
    if let Some(v) = cached {
        return v;
    }
    let mut power = Fixed::<W>::from_ratio(2, 3);
    let mut sum = power;
    let mut j = 0u64;
    loop {
        j += 1;
        power = power.div_small(9);
        let term = power.div_small(2 * j + 1);
        if term.e < sum.e - i64::from(q) - 2 {
            break;
        }
        sum += term;
    }
    LN2.with(|c| c.borrow_mut().push((q, sum.m.to_vec(), sum.e)));
    sum
}

/// 2·atanh(u) = 2(u + u³/3 + u⁵/5 + …) for small |u|, at precision q.
fn atanh2<const W: usize>(u: &Fixed<W>, q: u32) -> Fixed<W> {
    let u2 = *u * *u;
    let mut power = *u;
    let mut sum = *u;
    let mut k = 1u64;
    while !power.is_zero_value() {
        power *= u2;
        k += 2;
        let term = power.div_small(k);
        if term.e < sum.e - i64::from(q) - 2 {
            break;
        }
        sum += term;
    }
    sum.scale2(1)
}

/// eˣ at precision q: x = k ln 2 + r, e^r = (e^(r/2^s))^(2^s) with the Taylor series of the
/// reduced argument; the s squarings cost about s of the 64 guard bits.
fn exp_wide<const W: usize>(x: &Fixed<W>, q: u32) -> Fixed<W> {
    let one = Fixed::<W>::from_int(1);
    if x.is_zero_value() {
        return one;
    }
    // Saturate as `Mp` and `Mpfr` do: beyond |x| = 2³⁰ the value is far outside f64.
    let limit = Fixed::<W>::from_int(1 << 30);
    if *x < -limit {
        return Fixed::ZERO;
    }
    let x = if *x > limit { limit } else { *x };
    let k = (x.to_f64() / std::f64::consts::LN_2).round() as i64;
    let r = x - Fixed::from_int(k) * ln2::<W>(q);
    let s = (f64::from(q).sqrt() / 1.5).ceil() as i64;
    let r = r.scale2(-s);
    let mut term = one;
    let mut sum = one;
    let mut n = 0u64;
    loop {
        n += 1;
        term = (term * r).div_small(n);
        if term.is_zero_value() || term.e < sum.e - i64::from(q) - 2 {
            break;
        }
        sum += term;
    }
    for _ in 0..s {
        sum = sum * sum;
    }
    sum.scale2(k)
}

/// ln y at precision q for y > 0: y = 2^k·z with z ∈ [1/√2, √2); ln z by the atanh series
/// when z is within 2⁻⁸ of 1, else by Halley's iteration on e^w = z from the f64 logarithm
/// (53 → 159 → 477 → 1431 bits).
fn ln_wide<const W: usize>(y: &Fixed<W>, q: u32) -> Fixed<W> {
    let mut k = y.e;
    let mut z = y.scale2(-k);
    if z < Fixed::from_ratio(7071, 10000) {
        z = z.scale2(1);
        k -= 1;
    }
    let one = Fixed::<W>::from_int(1);
    let ln_z = ln_near_one(&z, &one, q);
    ln_z + Fixed::from_int(k) * ln2::<W>(q)
}

/// ln z for z ∈ [1/√2, √2) (see [`ln_wide`]).
fn ln_near_one<const W: usize>(z: &Fixed<W>, one: &Fixed<W>, q: u32) -> Fixed<W> {
    let d = *z - *one;
    if d.is_zero_value() {
        return Fixed::ZERO;
    }
    if d.e <= -8 {
        // u = (z − 1)/(z + 1), |u| < 2⁻⁹.
        return atanh2(&(d / (*z + *one)), q);
    }
    let mut w = Fixed::<W>::from_f64(z.to_f64().ln());
    let mut good = 53u32;
    while good < q + 8 {
        let e = exp_wide(&w, q);
        w += ((*z - e) / (*z + e)).scale2(1);
        good *= 3;
    }
    w
}

/// exp, ln or ln(1+x) of `x` at precision q (the thread's precision), in `Fixed<W>`.
fn wide<const W: usize>(x: &Fixed<W>, kind: Kind, q: u32) -> Fixed<W> {
    match kind {
        Kind::Exp => exp_wide(x, q),
        Kind::Ln => ln_wide(x, q),
        Kind::Ln1p => {
            let one = Fixed::<W>::from_int(1);
            if x.is_zero_value() {
                return Fixed::ZERO;
            }
            if x.e <= -8 {
                // ln(1 + x) = 2 atanh(x / (2 + x)) — no cancellation for tiny x.
                return atanh2(&(*x / (one.scale2(1) + *x)), q);
            }
            // |x| ≥ 2⁻⁹: 1 + x is exact at q = p + 64 bits.
            ln_wide(&(one + *x), q)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scalar::{ratio, with_precision};
    use num_traits::{One, Zero};

    /// |x − exact| ≤ 2^(−p) |exact| (half an ulp: correct rounding), compared in rationals.
    fn correctly_rounded(x: &Rational, exact: &Rational, bits: u32) -> bool {
        let u = crate::optim::shadow::pow2::<Rational>(-i64::from(bits));
        crate::scalar::rational::within_relative(x, exact, &u)
    }

    fn check<const N: usize>(bits: u32) {
        with_precision(bits, || {
            let values = [
                (1, 3),
                (7, 10),
                (-22, 7),
                (355, 113),
                (1, 1_000_003),
                (-5, 1 << 40),
                (1 << 50, 3),
            ];
            for &(n, d) in &values {
                for &(n2, d2) in &values {
                    let (a, b) = (Fixed::<N>::from_ratio(n, d), Fixed::<N>::from_ratio(n2, d2));
                    let (x, y) = (a.to_rational().unwrap(), b.to_rational().unwrap());
                    assert!(correctly_rounded(&x, &ratio(n, d), bits), "{n}/{d}");
                    // The word divisor of the transcendentals' series, normalized or not.
                    for k in [1, 2, 3, 7, 10, (1 << 40) + 1, (1 << 63) + 5, u64::MAX] {
                        let got = a.div_small(k).to_rational().unwrap();
                        let exact = &x / Rational::from(dashu_int::IBig::from(k));
                        assert!(correctly_rounded(&got, &exact, bits), "{n}/{d} / {k}");
                    }
                    for (got, exact, what) in [
                        (a + b, &x + &y, "+"),
                        (a - b, &x - &y, "-"),
                        (a * b, &x * &y, "*"),
                        (a / b, &x / &y, "/"),
                    ] {
                        let got = got.to_rational().unwrap();
                        assert!(
                            correctly_rounded(&got, &exact, bits),
                            "{n}/{d} {what} {n2}/{d2} at {bits}"
                        );
                    }
                }
            }
        });
    }

    /// Algorithm D against dashu-int's division on words drawn from the edges (0, 1, 2⁶²,
    /// 2⁶³ ± 1, 2⁶³, 2⁶⁴ − 2, 2⁶⁴ − 1) and a seeded stream: such digits make the quotient estimate too large, so
    /// the rare add-back runs (counted: it must occur), and some remainders are exactly 0.
    #[test]
    fn long_division_matches_dashu() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(8);
        let edges = [
            0,
            1,
            1 << 62,
            (1 << 63) - 1,
            1 << 63,
            0x8000_0000_0000_0001,
            u64::MAX - 1,
            u64::MAX,
        ];
        let mut exact_count = 0;
        let addbacks_before = ADD_BACKS.with(|c| c.get());
        // Digits whose first estimate is two too large: wrong without the correction by the
        // second divisor word (found by simulating algorithm D without it).
        let two_too_large: [(&[u64], &[u64]); 3] = [
            (
                &[0xf06d_3fef_7019_66a0, 0x8000_0000_0000_0001, 1 << 63],
                &[0x1999_9e3f_a46d_6753, u64::MAX, 0x8000_0000_0000_0001],
            ),
            (
                &[1, 0xa2f7_d343_a63e_0c32],
                &[u64::MAX, 0x8000_0000_0000_0001],
            ),
            (
                &[0x03e2_e7c4_07cc_0424, 0, u64::MAX],
                &[1 << 62, u64::MAX, 0x8977_8fb7_0914_89cd],
            ),
        ];
        for (u, v) in two_too_large {
            let mut q = vec![0u64; u.len() + 2];
            let sticky = long_division(u, v, &mut q);
            let (want, rem) =
                (UBig::from_words(u) << (64 * (u.len() + 1))).div_rem(UBig::from_words(v));
            assert_eq!((UBig::from_words(&q), sticky), (want, !rem.is_zero()));
        }
        for n in 1..=MAX_WORDS {
            for _ in 0..3000 {
                let word = |rng: &mut rand_chacha::ChaCha8Rng| {
                    if rng.random_bool(0.6) {
                        edges[rng.random_range(0..edges.len())]
                    } else {
                        rng.random()
                    }
                };
                let u: Vec<u64> = (0..n).map(|_| word(&mut rng)).collect();
                let mut v: Vec<u64> = (0..n).map(|_| word(&mut rng)).collect();
                v[n - 1] |= 1 << 63;
                let mut q = vec![0u64; n + 2];
                let sticky = long_division(&u, &v, &mut q);
                let (want, rem) =
                    (UBig::from_words(&u) << (64 * (n + 1))).div_rem(UBig::from_words(&v));
                assert_eq!(UBig::from_words(&q), want, "u {u:x?} v {v:x?}");
                assert_eq!(sticky, !rem.is_zero(), "u {u:x?} v {v:x?}");
                exact_count += usize::from(!sticky);
            }
        }
        let addbacks = ADD_BACKS.with(|c| c.get()) - addbacks_before;
        assert!(
            exact_count > 0 && addbacks > 0,
            "{exact_count} exact, {addbacks} add-backs"
        );
    }

    /// Sums and differences at every exponent gap from 0 to past the guard word (each alignment
    /// path: equal exponents, a shift within a word, whole words, all sticky), both orders and
    /// signs, with operands whose low bits are set (so the guard and sticky bits matter): within
    /// half an ulp of the exact result.
    #[test]
    fn sums_at_every_exponent_gap_are_correctly_rounded() {
        fn at<const N: usize>(bits: u32) {
            with_precision(bits, || {
                let a = Fixed::<N>::from_ratio(-22, 7);
                let b = Fixed::<N>::from_ratio(355, 113);
                for gap in (0..=70).chain([100, 127, 128, 129, 191, 192, 200, 255, 256, 300, 600]) {
                    let small = b.scale2(-gap);
                    for (x, y) in [
                        (a, small),
                        (small, a),
                        (-a, small),
                        (b, small),
                        (-b, -small),
                    ] {
                        let (rx, ry) = (x.to_rational().unwrap(), y.to_rational().unwrap());
                        for (got, exact) in [(x + y, &rx + &ry), (x - y, &rx - &ry)] {
                            let got = got.to_rational().unwrap();
                            assert!(correctly_rounded(&got, &exact, bits), "gap {gap} at {bits}");
                        }
                    }
                }
            });
        }
        at::<2>(128);
        at::<2>(100);
        at::<4>(256);
        at::<4>(193);
        at::<8>(512);
    }

    /// Sums, differences, products and quotients of every pair are within half an ulp of the
    /// exact rational result, at a
    /// precision below, at and far below each width.
    #[test]
    fn operations_are_correctly_rounded() {
        check::<2>(24);
        check::<2>(100);
        check::<2>(128);
        check::<4>(200);
        check::<4>(256);
        check::<8>(512);
    }

    /// A sum or difference with an exact zero is the other operand, its sign flipped by a
    /// subtraction: 0 − y = −y, 0 + y = y, y − 0 = y, at every width (the early return that skips
    /// the alignment carries the sign itself).
    #[test]
    fn zero_operands_keep_or_flip_the_sign() {
        fn at<const N: usize>(bits: u32) {
            with_precision(bits, || {
                let zero = Fixed::<N>::from_int(0);
                for y in [
                    Fixed::<N>::from_ratio(355, 113),
                    Fixed::<N>::from_ratio(-22, 7),
                ] {
                    let (ry, r0) = (y.to_rational().unwrap(), Rational::from(0));
                    assert_eq!((zero - y).to_rational().unwrap(), &r0 - &ry, "{bits}");
                    assert_eq!((zero + y).to_rational().unwrap(), ry, "{bits}");
                    assert_eq!((y - zero).to_rational().unwrap(), ry, "{bits}");
                }
            });
        }
        at::<2>(128);
        at::<2>(53);
        at::<4>(256);
        at::<8>(512);
    }

    /// Ties round to even; 1 + 2^(−p) (a tie) stays 1, 1 + 3·2^(−p) rounds up.
    #[test]
    fn ties_go_to_even() {
        with_precision(128, || {
            let one = Fixed::<2>::one();
            let eps = Fixed::<2>::epsilon();
            assert!((one + eps) == one);
            let up = one + eps * Fixed::from_int(3);
            assert_eq!(
                up.to_rational().unwrap(),
                ratio(1, 1) + crate::optim::shadow::pow2::<Rational>(-126)
            );
        });
        // Below the full width, a dropped part that is exactly one half of the last kept place
        // plus a bit below the significand words (in the guard) is above the tie: 1 + (2^(−p) +
        // 2^(−128)) at p = 100 rounds up to 1 + 2^(−99), also as 2^(−p) + 2^(−128) + 1.
        with_precision(100, || {
            let pow2 = crate::optim::shadow::pow2::<Rational>;
            let one = Fixed::<2>::one();
            let y = Fixed::<2>::from_rational(&(pow2(-100) + pow2(-128)));
            assert_eq!(y.to_rational().unwrap(), pow2(-100) + pow2(-128));
            for sum in [one + y, y + one] {
                assert_eq!(sum.to_rational().unwrap(), ratio(1, 1) + pow2(-99));
            }
            // And below the full width, exact ties go to even: 1 + 2^(−100) stays 1,
            // 1 + 3·2^(−100) goes up to 1 + 2^(−98); a bit inside the dropped words breaks the
            // tie (1 + 2^(−100) + 2^(−127) → 1 + 2^(−99)).
            let sum = |r: Rational| (one + Fixed::<2>::from_rational(&r)).to_rational().unwrap();
            assert_eq!(sum(pow2(-100)), ratio(1, 1));
            assert_eq!(sum(pow2(-100) * ratio(3, 1)), ratio(1, 1) + pow2(-98));
            assert_eq!(sum(pow2(-100) + pow2(-127)), ratio(1, 1) + pow2(-99));
        });
    }

    /// Rounding up an all-ones significand carries out of it: the result is the next power of
    /// two, with the exponent one higher — at a full width (128 bits in 2 words, 256 in 4) and
    /// below it (100 bits), from a rational and from a sum; products next to a power of two
    /// round to the right side of it.
    #[test]
    fn rounding_carries_into_the_exponent() {
        let pow2 = crate::optim::shadow::pow2::<Rational>;
        for (bits, n) in [(128u32, 2usize), (100, 2), (256, 4)] {
            with_precision(bits, || {
                let b = i64::from(bits);
                let check = |x: Fixed<2>, y: Fixed<4>, want: Rational, what: &str| {
                    let got = if n == 2 {
                        x.to_rational()
                    } else {
                        y.to_rational()
                    };
                    assert_eq!(got, Some(want), "{what} at {bits}");
                };
                // 1 − 2^(−p−2) lies within a quarter ulp of 1.
                let v = pow2(0) - pow2(-b - 2);
                check(
                    Fixed::from_rational(&v),
                    Fixed::from_rational(&v),
                    pow2(0),
                    "1 - tiny",
                );
                let v = pow2(1) - pow2(-b - 1);
                check(
                    Fixed::from_rational(&v),
                    Fixed::from_rational(&v),
                    pow2(1),
                    "2 - tiny",
                );
                // (1 − 2^(−p)) + 3·2^(−p−2): above the midpoint between 1 − 2^(−p) and 1.
                let (a, t) = (pow2(0) - pow2(-b), pow2(-b - 2) * Rational::from(3));
                let sum2 = Fixed::<2>::from_rational(&a) + Fixed::from_rational(&t);
                let sum4 = Fixed::<4>::from_rational(&a) + Fixed::from_rational(&t);
                check(sum2, sum4, pow2(0), "sum");
                // (1 − 2^(−p))·(1 + 2^(1−p)) = 1 + 2^(−p) − 2^(1−2p): just below the midpoint
                // between 1 and 1 + 2^(1−p), so it rounds down to 1.
                let (c, d) = (pow2(0) - pow2(-b), pow2(0) + pow2(1 - b));
                let want = pow2(0);
                let p2 = Fixed::<2>::from_rational(&c) * Fixed::from_rational(&d);
                let p4 = Fixed::<4>::from_rational(&c) * Fixed::from_rational(&d);
                check(p2, p4, want, "product");
                // (1 − 2^(−p))² = 1 − 2^(1−p) + 2^(−2p): a quarter of an ulp above 1 − 2^(1−p).
                let sq2 = Fixed::<2>::from_rational(&c).square();
                let sq4 = Fixed::<4>::from_rational(&c).square();
                check(sq2, sq4, pow2(0) - pow2(1 - b), "square");
            });
        }
    }

    /// √ is correctly rounded (checked by squaring the bracketing neighbours exactly), NaN
    /// passes on and is diverged, and comparisons order signs and sizes.
    #[test]
    fn sqrt_nan_and_order() {
        with_precision(256, || {
            for k in [2i64, 3, 10, 1 << 40] {
                let s = Fixed::<4>::from_int(k).sqrt();
                let r = s.to_rational().unwrap();
                let ulp = crate::optim::shadow::pow2::<Rational>(
                    (s.magnitude().log2().floor() as i64) - 255,
                );
                let lo = &r - &ulp / Rational::from(2);
                let hi = &r + &ulp / Rational::from(2);
                let target = Rational::from(k);
                assert!(&lo * &lo <= target && target <= &hi * &hi, "sqrt {k}");
            }
            let nan = Fixed::<4>::from_int(1) / Fixed::zero();
            assert!(!nan.to_f64().is_finite());
            assert!(!(nan + Fixed::one()).magnitude().is_finite());
            assert!(Fixed::<4>::from_int(-1).sqrt().to_rational().is_none());
            let (a, b) = (Fixed::<4>::from_ratio(-3, 2), Fixed::<4>::from_ratio(1, 7));
            assert!(a < b && -a > b && Fixed::zero() > a && a.abs() > b);
            assert_eq!(
                Fixed::<4>::from_ratio(1, 3).to_f64().to_bits(),
                (1.0f64 / 3.0).to_bits()
            );
            assert_eq!(
                Fixed::<4>::from_f64(0.1).to_f64().to_bits(),
                0.1f64.to_bits()
            );
            assert!((Fixed::<4>::from_int(2).exp().to_f64() - 2f64.exp()).abs() < 1e-15);
        });
    }

    /// to_f64 near the bottom of f64's range: 4.67e-302 (found by the MPFR comparison: the
    /// scale 2^(e−64) underflowed to 0), the smallest normal and a subnormal read back exactly.
    #[test]
    fn to_f64_near_the_bottom_of_the_range() {
        with_precision(128, || {
            for x in [
                4.669_040_101_587_625e-302,
                f64::MIN_POSITIVE,
                2f64.powi(-1060),
                1e300,
            ] {
                assert_eq!(
                    Fixed::<2>::from_f64(x).to_f64().to_bits(),
                    x.to_bits(),
                    "{x:e}"
                );
                assert_eq!(Fixed::<2>::from_f64(-x).to_f64().to_bits(), (-x).to_bits());
            }
        });
    }

    /// The default build's exp, ln and ln(1+x) are within an ulp (2^(1−p) relative) of the
    /// value computed by dashu-float at p + 128 bits, at each width's precisions, over
    /// arguments from 2⁻⁴⁰ to 700 (exp) and across the cases of the argument reduction (ln:
    /// near 1 by the series, elsewhere by Halley's iteration; ln(1+x): tiny x by the series).
    #[test]
    fn native_transcendentals_are_within_an_ulp() {
        fn at<const N: usize>(bits: u32) {
            let args: [(i64, i64); 10] = [
                (1, 3),
                (-7, 10),
                (22, 7),
                (700, 1),
                (-650, 1),
                (1, 1 << 40),
                (-1, 1 << 30),
                (1025, 1024),
                (1_000_003, 1),
                (3, 1 << 12),
            ];
            for &(n, d) in &args {
                let x = with_precision(bits, || Fixed::<N>::from_ratio(n, d));
                let exact = x.to_rational().unwrap();
                let reference = |f: &dyn Fn(&crate::scalar::Mp) -> crate::scalar::Mp| {
                    with_precision(bits + 128, || {
                        f(&crate::scalar::Mp::from_rational(&exact)).to_rational()
                    })
                };
                let mut cases: Vec<(Fixed<N>, Rational, &str)> = Vec::new();
                with_precision(bits, || {
                    cases.push((x.native(Kind::Exp), reference(&|v| v.exp()), "exp"));
                    if n > 0 {
                        cases.push((x.native(Kind::Ln), reference(&|v| v.ln()), "ln"));
                    }
                    if n > -d {
                        cases.push((x.native(Kind::Ln1p), reference(&|v| v.ln_1p()), "ln_1p"));
                    }
                });
                for (got, want, what) in cases {
                    let got = got.to_rational().unwrap();
                    let ulp = crate::optim::shadow::pow2::<Rational>(1 - i64::from(bits));
                    assert!(
                        crate::scalar::rational::within_relative(&got, &want, &ulp),
                        "{what}({n}/{d}) at {bits} bits"
                    );
                }
            }
        }
        at::<2>(24);
        at::<2>(128);
        at::<4>(192);
        at::<4>(256);
        at::<8>(512);
    }
}

/// With the `mpfr` feature, `Fixed` and MPFR compute the same numbers, bit for bit: + − × ÷ √
/// because both round correctly, exp, ln and ln(1+x) because `Fixed` delegates them to MPFR.
#[cfg(all(test, feature = "mpfr"))]
mod same_as_mpfr {
    use super::*;
    use crate::scalar::mpfr::Mpfr;
    use crate::scalar::with_precision;
    use proptest::prelude::*;

    fn pair<const N: usize>(n: i64, d: i64, k: i64) -> (Fixed<N>, Mpfr) {
        let f = Fixed::<N>::from_ratio(n, d) * Fixed::from_int(2).powi(k);
        let m = Mpfr::from_ratio(n, d) * Mpfr::from_int(2).powi(k);
        (f, m)
    }

    fn same<const N: usize>(
        bits: u32,
        a: (i64, i64, i64),
        b: (i64, i64, i64),
    ) -> Result<(), TestCaseError> {
        with_precision(bits, || {
            let (fx, mx) = pair::<N>(a.0, a.1, a.2);
            let (fy, my) = pair::<N>(b.0, b.1, b.2);
            let results = [
                (fx, mx.clone(), "x"),
                (fx + fy, mx.clone() + my.clone(), "+"),
                (fx - fy, mx.clone() - my.clone(), "-"),
                (fx * fy, mx.clone() * my.clone(), "*"),
                (fx / fy, mx.clone() / my.clone(), "/"),
                (fx.abs().sqrt(), mx.abs().sqrt(), "sqrt"),
                (fx.abs().ln(), mx.abs().ln(), "ln"),
                (fx.abs().ln_1p(), mx.abs().ln_1p(), "ln_1p"),
                (
                    (fx / Fixed::from_int(1 << 20)).exp(),
                    (mx / Mpfr::from_int(1 << 20)).exp(),
                    "exp",
                ),
            ];
            for (f, m, what) in results {
                if m.to_rational().is_none() {
                    // MPFR's ±∞ (ln 0, exp beyond its exponent range) is `Fixed`'s NaN: both
                    // not a number, reported as diverged.
                    prop_assert!(f.to_rational().is_none(), "{} at {}", what, bits);
                    continue;
                }
                prop_assert_eq!(f.to_rational(), m.to_rational(), "{} at {}", what, bits);
                prop_assert_eq!(
                    f.to_f64().to_bits(),
                    m.to_f64().to_bits(),
                    "{} to_f64",
                    what
                );
            }
            Ok(())
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]
        #[test]
        fn fixed_is_mpfr_bit_for_bit(
            a in (-1_000_000i64..1_000_000, 1i64..1_000_000, -200i64..200),
            b in (1i64..1_000_000, 1i64..1_000_000, -200i64..200),
            which in 0usize..5,
        ) {
            match which {
                0 => same::<2>(53, a, b)?,
                1 => same::<2>(128, a, b)?,
                2 => same::<4>(256, a, b)?,
                3 => same::<8>(320, a, b)?,
                _ => same::<8>(512, a, b)?,
            }
        }
    }
}
