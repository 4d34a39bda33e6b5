"""Worker of :mod:`_reference`: run with ``PYTHONPATH`` at a reference tree of sklearn-maec.

Usage: ``python _reference_worker.py UTTERANCES.pkl FEATURE_CACHE EPOCHS THREADS DEVICE``.
Segments the pickled utterances with the reference's own segmenter and context
builder, prints ``{"package": ..., "segments": ...}`` as one JSON line, then
for every ``fit`` line on standard input fits the reference's
``MAECClassifier`` at its defaults (``max_epochs=EPOCHS``, ``random_state=0``,
no validation part) and prints ``{"epoch": best epoch seconds}``.  Only names
that every version of the package exports are used.
"""

import json
import pickle
import sys
import warnings


def main(data, cache, epochs, threads, device):
    import torch

    import sklearn_maec
    from sklearn_maec import ContextTripleBuilder, MAECClassifier, OpenSmileSegmenter

    warnings.simplefilter("ignore")
    torch.set_num_threads(threads)
    replies, sys.stdout = sys.stdout, sys.stderr  # whatever the package prints goes to stderr
    with open(data, "rb") as f:
        X, y = pickle.load(f)
    table = OpenSmileSegmenter(n_jobs=-1, memory=cache or None).fit_transform(X)
    table = ContextTripleBuilder().fit_transform(table)
    del X
    segments = int(sum(s.shape[0] for s in table["segments"]))
    print(json.dumps({"package": sklearn_maec.__file__, "segments": segments}), file=replies,
          flush=True)
    for line in sys.stdin:
        if line.strip() != "fit":
            continue
        clf = MAECClassifier(max_epochs=epochs, random_state=0, validation_fraction=None,
                             device=device).fit(table, y)
        print(json.dumps({"epoch": min(clf.history[:, "dur"])}), file=replies, flush=True)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5])
