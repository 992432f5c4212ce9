"""Reference for `cargo bench --bench theorem`: the same computation in Python/mpmath.

SGD (PyTorch convention, momentum 0.9, lr 0.1, weight decay 5e-4) on the Rayleigh quotient
R(w) = w'Aw / w'w, d = 5, at 256 bits, with A and w0 from explr's seeded stream, passed in as
integers/quarters printed by `verify`-independent constants below (any fixed values give the same
cost). Prints steps per second.

    python3 -m pip install mpmath && python3 bench/mpmath_rayleigh.py
"""
import time

from mpmath import mp, mpf

mp.prec = 256
A = [[1, -2, 0, 3, -1], [-2, 4, 1, 0, 2], [0, 1, -3, 2, 0], [3, 0, 2, 1, -4], [-1, 2, 0, -4, 2]]
A = [[mpf(x) for x in row] for row in A]
w = [mpf(k) / 4 for k in (3, -5, 2, 6, -1)]
v = [mpf(0)] * 5
lr, wd, gamma = mpf("0.1"), mpf("5e-4"), mpf("0.9")
steps = 2000
start = time.perf_counter()
for _ in range(steps):
    aw = [sum(A[i][j] * w[j] for j in range(5)) for i in range(5)]
    n = sum(x * x for x in w)
    r = sum(w[i] * aw[i] for i in range(5)) / n
    g = [2 * (aw[i] - r * w[i]) / n for i in range(5)]
    v = [gamma * v[i] + g[i] + wd * w[i] for i in range(5)]
    w = [w[i] - lr * v[i] for i in range(5)]
elapsed = time.perf_counter() - start
print(f"mpmath {mp.prec} bits: {steps / elapsed:.0f} steps/s (Rayleigh d=5)")
