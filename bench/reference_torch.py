"""PyTorch reference for `verify train`: the same scale-invariant network and update rule.

ConvNet (3x3 convs 16/32/64, strides 1/2/2, BatchNorm without affine, ReLU, global average pool,
frozen linear head) or PreResNet(6n+2) with BN affine frozen, trained with our SGD step
(PyTorch convention: v <- m v + (g + wd w); w <- w - lr v) applied under no_grad, step decay.
Reports images/s and test accuracy, to compare with `verify train` on the same machine.

With --ordinary it is the baseline a practitioner would train instead: BatchNorm with its affine
parameters, a trainable linear head with bias, and torch.optim.SGD(momentum, weight_decay) with
MultiStepLR — the accuracy our scale-invariant networks must match. With --ordinary
--optimizer adamw the baseline uses torch.optim.AdamW(lr, weight_decay) instead (the accuracy
`verify train --optimizer adamw` must match).

    python3 bench/reference_torch.py --data mnist:data/mnist --model convnet --epochs 6
    python3 bench/reference_torch.py --data fashion-mnist --model convnet --epochs 6 --ordinary --threads 1
    python3 bench/reference_torch.py --data synthetic --model preresnet32 --epochs 1 --device cuda
"""
import argparse, gzip, os, struct, time

import torch
import torch.nn.functional as F


def open_idx(d, name):
    path = os.path.join(d, name)
    if not os.path.exists(path) and os.path.exists(path + ".gz"):
        return gzip.open(path + ".gz", "rb")
    return open(path, "rb")


def load_idx(d, prefix):
    with open_idx(d, f"{prefix}-images-idx3-ubyte") as f:
        _, n, r, c = struct.unpack(">IIII", f.read(16))
        x = torch.frombuffer(bytearray(f.read()), dtype=torch.uint8).float().view(n, 1, r, c) / 255
    with open_idx(d, f"{prefix}-labels-idx1-ubyte") as f:
        f.read(8)
        y = torch.frombuffer(bytearray(f.read()), dtype=torch.uint8).long()
    return x, y


def data(spec):
    if spec == "fashion-mnist":
        spec = "mnist:/usr/share/datasets/fashion-mnist"
    if spec.startswith("mnist:") or spec.startswith("fashion-mnist:"):
        d = spec.split(":", 1)[1]
        (x, y), (tx, ty) = load_idx(d, "train"), load_idx(d, "t10k")
    else:
        n, tn = 2048, 512
        if spec.startswith("synthetic:"):
            n, tn = (int(v) for v in spec.split(":", 1)[1].split(","))
        g = torch.Generator().manual_seed(0)
        t = torch.rand(10, 3, 32, 32, generator=g)
        y = torch.arange(n) % 10
        ty = torch.arange(tn) % 10
        x = t[y] + 0.2 * torch.randn(n, 3, 32, 32, generator=g)
        tx = t[ty] + 0.2 * torch.randn(tn, 3, 32, 32, generator=g)
    m, s = x.mean((0, 2, 3), keepdim=True), x.std((0, 2, 3), keepdim=True)
    return (x - m) / s, y, (tx - m) / s, ty


class Net(torch.nn.Module):
    def __init__(self, model, channels, classes=10, ordinary=False):
        super().__init__()
        self.model = model
        affine = ordinary
        if model == "convnet":
            widths, strides, c = [16, 32, 64], [1, 2, 2], channels
            self.convs = torch.nn.ParameterList()
            for w, s in zip(widths, strides):
                self.convs.append(torch.nn.Parameter(torch.randn(w, c, 3, 3) / (3 * c * 9) ** 0.5))
                c = w
            self.strides = strides
            self.bns = torch.nn.ModuleList([torch.nn.BatchNorm2d(w, affine=affine) for w in widths])
        else:
            n = (int(model[len("preresnet"):]) - 2) // 6
            self.stem = torch.nn.Parameter(torch.randn(16, channels, 3, 3) / (3 * channels * 9) ** 0.5)
            self.blocks, width = torch.nn.ModuleList(), 16
            for s, out in enumerate([16, 32, 64]):
                for b in range(n):
                    stride = 2 if s > 0 and b == 0 else 1
                    blk = torch.nn.Module()
                    blk.stride = stride
                    blk.bn1 = torch.nn.BatchNorm2d(width, affine=affine)
                    blk.w1 = torch.nn.Parameter(torch.randn(out, width, 3, 3) / (3 * width * 9) ** 0.5)
                    blk.bn2 = torch.nn.BatchNorm2d(out, affine=affine)
                    blk.w2 = torch.nn.Parameter(torch.randn(out, out, 3, 3) / (3 * out * 9) ** 0.5)
                    blk.proj = torch.nn.Parameter(torch.randn(out, width, 1, 1) / (3 * width) ** 0.5) if (width != out or stride != 1) else None
                    self.blocks.append(blk)
                    width = out
            self.final = torch.nn.BatchNorm2d(64, affine=affine)
        self.linear = torch.nn.Linear(64, classes) if ordinary else None
        if not ordinary:
            self.register_buffer("head", torch.randn(classes, 64) / 8)

    def forward(self, x):
        if self.model == "convnet":
            for w, s, bn in zip(self.convs, self.strides, self.bns):
                x = F.relu(bn(F.conv2d(x, w, stride=s, padding=1)))
        else:
            x = F.conv2d(x, self.stem, padding=1)
            for b in self.blocks:
                pre = F.relu(b.bn1(x))
                short = F.conv2d(pre, b.proj, stride=b.stride) if b.proj is not None else x
                h = F.relu(b.bn2(F.conv2d(pre, b.w1, stride=b.stride, padding=1)))
                x = F.conv2d(h, b.w2, padding=1) + short
            x = F.relu(self.final(x))
        pooled = x.mean((2, 3))
        return self.linear(pooled) if self.linear is not None else pooled @ self.head.t()


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--data", default="synthetic")
    p.add_argument("--model", default="convnet")
    p.add_argument("--epochs", type=int, default=6)
    p.add_argument("--milestones", default="3,5")
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--lr", type=float, default=0.1)
    p.add_argument("--weight-decay", type=float, default=5e-4)
    p.add_argument("--momentum", type=float, default=0.9)
    p.add_argument("--device", default="cpu")
    p.add_argument("--ordinary", action="store_true", help="BN affine, trainable head, torch.optim.SGD with weight_decay")
    p.add_argument("--threads", type=int, default=0, help="torch.set_num_threads (0: torch's default)")
    p.add_argument("--channels-last", action="store_true", help="model and batches in torch.channels_last")
    p.add_argument("--autocast", default="off", choices=["off", "bf16", "fp16"], help="torch.autocast for the forward pass (fp16 with a GradScaler)")
    p.add_argument("--iters-per-epoch", type=int, default=0, help="at most this many iterations per epoch (0: the whole set)")
    p.add_argument("--optimizer", default="sgd", choices=["sgd", "adamw"], help="with --ordinary: torch.optim.SGD or torch.optim.AdamW (betas 0.9, 0.999, eps 1e-8)")
    a = p.parse_args()
    if a.optimizer == "adamw" and not a.ordinary:
        p.error("--optimizer adamw needs --ordinary (our own step is SGD with momentum)")
    if a.threads > 0:
        torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    x, y, tx, ty = data(a.data)
    dev = torch.device(a.device)
    x, y, tx, ty = x.to(dev), y.to(dev), tx.to(dev), ty.to(dev)
    net = Net(a.model, x.shape[1], ordinary=a.ordinary).to(dev)
    layout = torch.channels_last if a.channels_last else torch.contiguous_format
    net = net.to(memory_format=layout)
    amp = {"off": None, "bf16": torch.bfloat16, "fp16": torch.float16}[a.autocast]
    scaler = torch.amp.GradScaler(dev.type, enabled=a.autocast == "fp16")
    loss_scale = 1024.0 if a.autocast == "fp16" else 1.0
    bufs = [torch.zeros_like(w) for w in net.parameters()]
    milestones = [int(m) for m in a.milestones.split(",") if m]
    opt = None
    if a.ordinary and a.optimizer == "adamw":
        opt = torch.optim.AdamW(net.parameters(), lr=a.lr, weight_decay=a.weight_decay)
    elif a.ordinary:
        opt = torch.optim.SGD(net.parameters(), lr=a.lr, momentum=a.momentum, weight_decay=a.weight_decay)
    iters = len(x) // a.batch_size
    if a.iters_per_epoch > 0:
        iters = min(iters, a.iters_per_epoch)
    seen, seconds = 0, 0.0
    for epoch in range(a.epochs):
        lr = a.lr / 10 ** sum(epoch >= m for m in milestones)
        order = torch.randperm(len(x), device=dev)
        if dev.type == "cuda":
            torch.cuda.synchronize()
        start = time.perf_counter()
        net.train()
        for i in range(iters):
            idx = order[i * a.batch_size:(i + 1) * a.batch_size]
            with torch.autocast(dev.type, dtype=amp or torch.float32, enabled=amp is not None):
                loss = F.cross_entropy(net(x[idx].contiguous(memory_format=layout)), y[idx])
            net.zero_grad(set_to_none=True)
            if opt is not None:
                scaler.scale(loss).backward()
                for group in opt.param_groups:
                    group["lr"] = lr
                scaler.step(opt)
                scaler.update()
                continue
            # Our step, with verify train's static fp16 loss scale (2**10).
            (loss * loss_scale).backward()
            with torch.no_grad():
                for w, v in zip(net.parameters(), bufs):
                    g = w.grad / loss_scale if loss_scale != 1.0 else w.grad
                    v.mul_(a.momentum).add_(g + a.weight_decay * w)
                    w.sub_(a.lr and lr * v)
        if dev.type == "cuda":
            torch.cuda.synchronize()
        seconds += time.perf_counter() - start
        seen += iters * a.batch_size
        net.eval()
        with torch.no_grad():
            with torch.autocast(dev.type, dtype=amp or torch.float32, enabled=amp is not None):
                acc = sum((net(tx[i:i + 500].contiguous(memory_format=layout)).argmax(1) == ty[i:i + 500]).sum().item() for i in range(0, len(tx), 500)) / len(tx)
        print(f"epoch {epoch + 1}: test accuracy {acc:.4f}")
    name = {"sgd": "torch.optim.SGD", "adamw": "torch.optim.AdamW"}[a.optimizer]
    kind = f"ordinary (BN affine, trainable head, {name})" if a.ordinary else "scale-invariant, frozen head, our step"
    print(f"torch {torch.__version__} {a.model} {kind} on {dev}: {seen / seconds:.0f} images/s")


if __name__ == "__main__":
    main()
