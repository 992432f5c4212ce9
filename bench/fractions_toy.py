"""Reference for the exact-arithmetic benchmark: the rational companion toy in Python `fractions`.

The same computation as `verify toy --loss normalized-quadratic --arith rational --steps 8`
(defaults lr 1/2, weight decay 1/50, momentum 0, w0 = (1, 1)): four regimes of full-batch SGD
(PyTorch convention, v <- m v + g + wd w, w <- w - lr v, zero initial buffer) on
w1^2/|w|^2 (BN) or w1^2 (no BN), with and without weight decay. Each step evaluates the loss and
gradient exactly (the same operations as explr's Rayleigh / Quadratic objectives: A w, w'w,
w'Aw / w'w) and records the loss and |w|^2 as floats at every step and at the final state, as
explr's report does.

    python3 bench/fractions_toy.py [--steps 8] [--repeat 5]

Prints the best wall time of the four regimes and the largest operand size in bits.
"""
import argparse
import time
from fractions import Fraction as F


def mat_vec(a, w):
    return [sum((a[i][j] * w[j] for j in range(len(w))), F(0)) for i in range(len(a))]


def dot(x, y):
    return sum((p * q for p, q in zip(x, y)), F(0))


def rayleigh(a, w):
    aw = mat_vec(a, w)
    n = dot(w, w)
    r = dot(w, aw) / n
    two_over_n = F(2) / n
    return r, [two_over_n * (p - r * x) for p, x in zip(aw, w)]


def rayleigh_loss(a, w):
    return dot(w, mat_vec(a, w)) / dot(w, w)


def quadratic(a, w):
    aw = mat_vec(a, w)
    return dot(w, aw), [F(2) * p for p in aw]


def quadratic_loss(a, w):
    return dot(w, mat_vec(a, w))


def run(objective, loss_only, a, lr, wd, momentum, w, steps):
    v = [F(0)] * len(w)
    bits = 0
    for _ in range(steps):
        loss, g = objective(a, w)
        float(loss), float(dot(w, w))  # the report's f64 record
        v = [momentum * vi + gi + wd * wi for vi, gi, wi in zip(v, g, w)]
        w = [wi - lr * vi for wi, vi in zip(w, v)]
        bits = max(bits, max(x.numerator.bit_length() + x.denominator.bit_length() for x in w))
    # The final state's record, as explr's report has it: the loss and |w|^2 at step T.
    float(loss_only(a, w)), float(dot(w, w))
    return bits


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--steps", type=int, default=8)
    p.add_argument("--repeat", type=int, default=5)
    args = p.parse_args()
    a = [[F(1), F(0)], [F(0), F(0)]]
    lr, wd, momentum = F(1, 2), F(1, 50), F(0)
    w0 = [F(1), F(1)]
    regimes = [
        ("neither", quadratic, quadratic_loss, F(0)),
        ("wd-only", quadratic, quadratic_loss, wd),
        ("bn-only", rayleigh, rayleigh_loss, F(0)),
        ("bn+wd", rayleigh, rayleigh_loss, wd),
    ]
    best, bits = float("inf"), 0
    for _ in range(args.repeat):
        start = time.perf_counter()
        bits = max(
            run(obj, loss, a, lr, d, momentum, list(w0), args.steps) for _, obj, loss, d in regimes
        )
        best = min(best, time.perf_counter() - start)
    print(f"fractions: {args.steps} steps, four regimes: {best:.4f} s (largest operand {bits} bits)")


if __name__ == "__main__":
    main()
