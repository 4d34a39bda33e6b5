"""FLOPs of a piece of torch code and a dense-matmul reference rate (for bench_training.py)."""

import contextlib
import time


def synchronize(device):
    """Wait for the device's queued work (a no-op on the CPU)."""
    import torch

    if str(device).startswith("cuda"):
        torch.cuda.synchronize(device)


def counted_flops(run, device="cpu"):
    """FLOPs that ``torch.utils.flop_counter.FlopCounterMode`` counts while ``run()`` runs.

    The counter counts the matrix products and convolutions (forward and
    backward), not the element-wise operations.  On CUDA cuDNN is switched
    off while counting: its fused GRU kernel is not counted, the native GRU
    (the same products, one per step) is.

    Returns
    -------
    total : int
    per_op : dict of str to int
    """
    import torch
    from torch.utils.flop_counter import FlopCounterMode

    no_cudnn = torch.backends.cudnn.flags(enabled=False) if str(device).startswith("cuda") \
        else contextlib.nullcontext()
    with no_cudnn, FlopCounterMode(display=False) as counter:
        run()
    per_op = {str(op): int(n) for op, n in counter.get_flop_counts().get("Global", {}).items()}
    return int(counter.get_total_flops()), per_op


def matmul_rate(device="cpu", n=2048, repeats=10, rounds=3):
    """GFLOP/s of an ``n x n`` float32 matmul repeated ``repeats`` times (best of ``rounds``).

    Runs on the current torch thread count: the reference the model's
    achieved rate is compared with.
    """
    import torch

    g = torch.Generator().manual_seed(0)
    a = torch.randn(n, n, generator=g).to(device)
    b = torch.randn(n, n, generator=g).to(device)
    out = torch.empty(n, n, device=device)
    for _ in range(2):  # warm-up
        torch.mm(a, b, out=out)
    synchronize(device)
    best = float("inf")
    for _ in range(rounds):
        t = time.perf_counter()
        for _ in range(repeats):
            torch.mm(a, b, out=out)
        synchronize(device)
        best = min(best, time.perf_counter() - t)
    return 2 * n ** 3 * repeats / best / 1e9
