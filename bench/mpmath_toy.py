"""Reference for the arbitrary-precision benchmark: the companion toy in mpmath (gmpy2 backend).

The same computation as `verify toy --loss normalized-quadratic --arith mp --precision 256
--steps 20000` (defaults lr 1/2, weight decay 1/50, momentum 0, w0 = (1, 1)): four regimes of
full-batch SGD (PyTorch convention, v <- m v + g + wd w, w <- w - lr v, zero initial buffer) on
w1^2/|w|^2 (BN) or w1^2 (no BN), with and without weight decay, at 256 bits. Each step evaluates
the loss and gradient with the same operations as explr's Rayleigh / Quadratic objectives and
records the loss and |w|^2 as floats; the final state is recorded too.

    .venv/bin/python -m pip install mpmath gmpy2
    .venv/bin/python bench/mpmath_toy.py [--steps 20000] [--prec 256] [--repeat 3]

Prints the backend, the best wall time of the four regimes and the steps per second.
"""
import argparse
import time

import mpmath
from mpmath import mp, mpf


def mat_vec(a, w):
    return [sum((a[i][j] * w[j] for j in range(len(w))), mpf(0)) for i in range(len(a))]


def dot(x, y):
    return sum((p * q for p, q in zip(x, y)), mpf(0))


def rayleigh(a, w):
    aw = mat_vec(a, w)
    n = dot(w, w)
    r = dot(w, aw) / n
    two_over_n = mpf(2) / n
    return r, [two_over_n * (p - r * x) for p, x in zip(aw, w)]


def quadratic(a, w):
    aw = mat_vec(a, w)
    return dot(w, aw), [mpf(2) * p for p in aw]


def run(objective, a, lr, wd, momentum, w, steps):
    v = [mpf(0)] * len(w)
    for _ in range(steps):
        loss, g = objective(a, w)
        float(loss), float(dot(w, w))  # the report's f64 record
        v = [momentum * vi + gi + wd * wi for vi, gi, wi in zip(v, g, w)]
        w = [wi - lr * vi for wi, vi in zip(w, v)]
    float(objective(a, w)[0]), float(dot(w, w))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--steps", type=int, default=20000)
    p.add_argument("--prec", type=int, default=256)
    p.add_argument("--repeat", type=int, default=3)
    args = p.parse_args()
    mp.prec = args.prec
    a = [[mpf(1), mpf(0)], [mpf(0), mpf(0)]]
    lr, wd, momentum = mpf(1) / 2, mpf(1) / 50, mpf(0)
    regimes = [(quadratic, mpf(0)), (quadratic, wd), (rayleigh, mpf(0)), (rayleigh, wd)]
    best = float("inf")
    for _ in range(args.repeat):
        start = time.perf_counter()
        for objective, decay in regimes:
            run(objective, a, lr, decay, momentum, [mpf(1), mpf(1)], args.steps)
        best = min(best, time.perf_counter() - start)
    print(
        f"mpmath ({mpmath.libmp.BACKEND}) {args.prec} bits: {args.steps} steps, four regimes: "
        f"{best:.3f} s ({4 * args.steps / best:.0f} steps/s)"
    )


if __name__ == "__main__":
    main()
