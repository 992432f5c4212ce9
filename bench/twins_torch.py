"""The converter's Nesterov and AdamW twins, run in PyTorch itself (float64).

For each optimizer: torch's own optimizer WITH weight decay on a scale-invariant loss (the
Rayleigh quotient θᵀAθ/θᵀθ, d = 8, seeded A), against the no-WD twin whose per-step
hyper-parameters come from `verify schedule --optimizer ... --format json`:
  - adamw: torch.optim.AdamW vs the twin's Adam step without weight decay, written out in torch
    (torch.optim.Adam cannot run it: its EMA input weights are tied to the betas, 1 − β̃, while
    the twin keeps 1 − β and the original bias corrections):
    m <- beta1_t m + (1 − β₁) g;  v <- beta2_t v + (1 − β₂) g²;
    θ <- θ − equivalent_lr_t (m / (1 − β₁^(t+1))) / (√(v / (1 − β₂^(t+1))) + eps_t);
  - nesterov: torch.optim.SGD(nesterov=True, weight_decay) vs the twin's three-line step
    v <- momentum_t v + g;  θ <- θ - equivalent_lr_t (g + look_ahead_t v).
Prints max_t |θ_t − Z_t θ̃_t|_∞ / |Z_t θ̃_t|_∞ for each, plus a one-cause control per optimizer
(the twin without its per-step correction: constant betas and eps; the look-ahead tied to the
momentum) that must be far off. Exit 1 when a twin is off by more than 1e-10 or a control is not
off by more than 1e-6.

    python3 bench/twins_torch.py [path/to/verify]
"""
import json, subprocess, sys

import torch

torch.set_default_dtype(torch.float64)
verify = sys.argv[1] if len(sys.argv) > 1 else "./target/release/verify"
ITERS, EPOCHS = 50, 4  # 200 steps, step decay /10 at epoch 2
g = torch.Generator().manual_seed(0)
M = torch.randn(8, 8, generator=g)
A = M + M.T
theta0 = torch.randn(8, generator=g)


def loss(w):
    return (w @ A @ w) / (w @ w)


def schedule(optimizer, lr, wd, extra):
    out = subprocess.run([verify, "schedule", "--optimizer", optimizer, "--lr", lr, "--weight-decay", wd,
                          "--epochs", str(EPOCHS), "--iters-per-epoch", str(ITERS), "--milestones", "2",
                          "--format", "json", "--no-plots"] + extra, check=True, capture_output=True, text=True)
    return json.loads(out.stdout)["rows"]


def discrepancy(a, b, z):
    return max(((x - zt * y).abs().max() / (zt * y).abs().max()).item() for x, y, zt in zip(a, b, z))


def run(opt_factory, rows, per_step):
    w = theta0.clone().requires_grad_(True)
    opt = opt_factory([w])
    out = []
    for t, r in enumerate(rows):
        per_step(opt.param_groups[0], r)
        opt.zero_grad()
        loss(w).backward()
        opt.step()
        out.append(w.detach().clone())
    return out


def adamw_check(unshifted):
    b1, b2, eps = 0.9, 0.999, 1e-8
    rows = schedule("adamw", "1e-2", "0.1", [])
    ref = run(lambda p: torch.optim.AdamW(p, lr=0.01, betas=(b1, b2), eps=eps, weight_decay=0.1), rows,
              lambda grp, r: grp.update(lr=r["lr"]))
    w = theta0.clone().requires_grad_(True)
    m, v = torch.zeros_like(w), torch.zeros_like(w)
    twin = []
    for t, r in enumerate(rows):
        w.grad = None
        loss(w).backward()
        with torch.no_grad():
            gr = w.grad
            # The control keeps the original betas and eps (both per-step corrections dropped).
            s1, s2, e = (b1, b2, eps) if unshifted else (r["beta1"], r["beta2"], r["eps"])
            m.mul_(s1).add_((1 - b1) * gr)
            v.mul_(s2).add_((1 - b2) * gr * gr)
            c1, c2 = 1 - b1 ** (t + 1), 1 - b2 ** (t + 1)
            w.sub_(r["equivalent_lr"] * (m / c1) / ((v / c2).sqrt() + e))
        twin.append(w.detach().clone())
    z = [r["z"] for r in rows[1:]] + [rows[-1]["z"] * (1 - rows[-1]["lr"] * 0.1)]
    return discrepancy(ref, twin, z)


def nesterov_check(tied):
    rows = schedule("nesterov", "0.1", "5e-3", ["--momentum", "0.9"])
    ref = run(lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9, weight_decay=5e-3, nesterov=True), rows,
              lambda grp, r: grp.update(lr=r["lr"]))
    w = theta0.clone().requires_grad_(True)
    v = torch.zeros_like(w)
    twin = []
    for r in rows:
        w.grad = None
        loss(w).backward()
        with torch.no_grad():
            gr = w.grad
            v.mul_(r["momentum"]).add_(gr)
            nu = r["momentum"] if tied else r["look_ahead"]
            w.sub_(r["equivalent_lr"] * (gr + nu * v))
        twin.append(w.detach().clone())
    # Z_{t+1} for the state after step t: the shadow's next value, from the same recursion.
    z, u, zs = 1.0, 0.0, []
    for r in rows:
        d = 5e-3 * z
        u = 0.9 * u + d
        z -= r["lr"] * (d + 0.9 * u)
        zs.append(z)
    return discrepancy(ref, twin, zs)


results = {
    "adamw twin": adamw_check(False),
    "adamw control (unshifted betas, constant eps)": adamw_check(True),
    "nesterov twin": nesterov_check(False),
    "nesterov control (look-ahead tied)": nesterov_check(True),
}
ok = True
for name, d in results.items():
    control = "control" in name
    good = d > 1e-6 if control else d <= 1e-10
    ok &= good
    print(f"{name}: max relative discrepancy {d:.3e} ({'as expected' if good else 'NOT AS EXPECTED'})")
print(f"torch {torch.__version__}, float64, {ITERS * EPOCHS} steps: {'ALL AS EXPECTED' if ok else 'FAILED'}")
sys.exit(0 if ok else 1)
