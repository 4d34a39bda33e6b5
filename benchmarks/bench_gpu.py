"""GPU benchmark: epoch time on CUDA against CPU, the largest batch that fits, torch.compile.

Skipped (with a message, exit code 0) when no CUDA device is present.

Usage::

    python benchmarks/bench_gpu.py [--n-utterances 2000]
"""

import argparse
import sys
import warnings


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-utterances", type=int, default=2000)
    parser.add_argument("--epochs", type=int, default=2)
    args = parser.parse_args(argv)

    import torch

    if not torch.cuda.is_available():
        print("no CUDA device: GPU benchmark skipped")
        return 0
    from bench_training import corpus

    from sklearn_maec import MAECClassifier

    warnings.simplefilter("ignore")
    X, y = corpus(args.n_utterances, None)
    print(f"{len(X)} utterances; device {torch.cuda.get_device_name(0)}")

    def epoch(device, **params):
        clf = MAECClassifier(max_epochs=args.epochs, random_state=0, validation_fraction=None,
                             device=device, **params).fit(X, y)
        return min(clf.history[:, "dur"])

    cpu, cuda = epoch("cpu"), epoch("cuda")
    print(f"epoch on CPU  {cpu:8.2f} s\nepoch on CUDA {cuda:8.2f} s  ({cpu / cuda:.1f}x faster)")
    try:
        compiled = epoch("cuda", compile=True)
        print(f"epoch on CUDA with torch.compile {compiled:8.2f} s")
    except Exception as exc:  # compile support varies with the platform
        print(f"torch.compile failed: {type(exc).__name__}: {exc}")
    batch, largest = 32, None
    while batch <= 8192:
        try:
            torch.cuda.reset_peak_memory_stats()
            MAECClassifier(max_epochs=1, batch_size=batch, device="cuda", random_state=0,
                           validation_fraction=None).fit(X.iloc[: 4 * batch], y[: 4 * batch])
            largest = batch
            print(f"batch {batch:5d}: peak {torch.cuda.max_memory_allocated() / 2**30:.2f} GiB")
            batch *= 2
        except torch.cuda.OutOfMemoryError:
            break
    print(f"largest batch that fits: {largest}")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, __file__.rsplit("/", 1)[0])
    sys.exit(main())
