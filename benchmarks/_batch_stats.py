"""How much a set of training batches encodes and pads (shared by the training benchmarks)."""

import numpy as np

from sklearn_maec.model.nn import length_groups


def batch_statistics(dataset, batches, use_context=True, max_padding=0.1):
    """Segments encoded, segments needed one input at a time, and the attention's padding.

    ``dataset`` is the classifier's ``get_dataset(X, y)``; ``batches`` lists of
    positions in it (e.g. from its ``BatchSampler``); ``max_padding`` is the
    bag encoder's (the attention runs on groups of bags of similar length,
    :func:`~sklearn_maec.model.nn.length_groups`).

    Returns
    -------
    stats : dict
        ``segments``: segments encoded; ``needed``: segments of the samples'
        own bags and context bags counted per use (what encoding each input
        separately would compute); ``attention_padding``: fraction of padded
        segment positions in the attention's per-group ``(bags, S_group)``
        layouts (the convolutions and the packed GRU compute no padding).
    """
    table = dataset.table
    encoded = needed = slots = 0
    for batch in batches:
        rows = dataset.rows[np.asarray(batch)]
        refs = [rows] + ([table.previous[rows], table.interlocutor[rows]] if use_context
                         else [])
        distinct = np.unique(np.concatenate([r[r >= 0] for r in refs]))
        lens = table.n_segments[distinct]
        encoded += int(lens.sum())
        needed += sum(int(table.n_segments[r[r >= 0]].sum()) for r in refs)
        for group in length_groups(lens, max_padding):
            slots += max(int(lens[group[0]]), 1) * len(group)
    return {"segments": encoded, "needed": needed,
            "attention_padding": 1 - encoded / max(slots, 1)}
