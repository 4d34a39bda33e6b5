"""The bag encoder's training BiGRU (``model/_gru.py``) against ``nn.GRU`` over packed sequences.

Pinned: the outputs and every gradient (inputs, both directions' weights and
biases) equal ``nn.GRU``'s on sequences of mixed lengths (length 1 and the
longest included, bags padded beyond the longest), the hand-written backward
passes ``gradcheck``, and the bag encoder takes this path only where it is
meant to (training with gradients on the CPU) and gets the same result and
gradients as with ``nn.GRU`` there.
"""

import pytest
import torch
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from sklearn_maec.model import nn as maec_nn
from sklearn_maec.model._gru import BiGRUFunction, bidirectional_gru, within_length_reversal
from sklearn_maec.model.nn import BagEncoder


def _padded(lengths, S, n_in, dtype, seed=0):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(len(lengths), S, n_in, generator=g, dtype=dtype)
    mask = torch.arange(S)[None, :] < torch.as_tensor(lengths)[:, None]
    return (x * mask.unsqueeze(-1)).requires_grad_(), mask


def _native(gru, x, lengths):
    packed = pack_padded_sequence(x, torch.as_tensor(lengths), batch_first=True,
                                  enforce_sorted=False)
    out, _ = gru(packed)
    return pad_packed_sequence(out, batch_first=True, total_length=x.shape[1])[0]


@pytest.mark.parametrize("lengths, S, hidden", [
    ([5, 1, 9, 9, 3], 11, 16),  # the longest twice, a length-1 sequence, padding past the longest
    ([1], 1, 4),
    ([7, 2], 7, 3),
    ([4, 4, 4], 4, 8),  # no padding at all
])
def test_outputs_and_gradients_equal_nn_gru(lengths, S, hidden):
    torch.manual_seed(0)
    gru = torch.nn.GRU(6, hidden, batch_first=True, bidirectional=True).double()
    x, mask = _padded(lengths, S, 6, torch.float64)
    expected = _native(gru, x, lengths)
    got = bidirectional_gru(gru, x, torch.as_tensor(lengths))
    assert got.shape == expected.shape == (len(lengths), S, 2 * hidden)
    torch.testing.assert_close(got, expected, atol=1e-12, rtol=1e-10)
    assert not got[~mask].any()  # zero past each length
    weights = torch.randn(expected.shape, dtype=torch.float64, generator=torch.Generator()
                          .manual_seed(1))
    params = [x, *gru.parameters()]
    g_expected = torch.autograd.grad((expected * weights).sum(), params)
    g_got = torch.autograd.grad((got * weights).sum(), params)
    names = ["input"] + [name for name, _ in gru.named_parameters()]
    for name, a, b in zip(names, g_got, g_expected, strict=True):
        torch.testing.assert_close(a, b, atol=1e-12, rtol=1e-10, msg=lambda m, n=name: f"{n}: {m}")
    # every gradient means something (the recurrent weights' need a second step)
    assert all(bool(g.abs().sum() > 0) for name, g in zip(names, g_expected, strict=True)
               if S > 1 or "weight_hh" not in name)


def test_hand_written_backward_passes_gradcheck():
    """Every input of the autograd function: the inputs of both directions and all weights."""
    g = torch.Generator().manual_seed(1)
    T, B, C, h = 4, 3, 3, 2
    inputs = (torch.randn(2, T, B, C, generator=g), torch.randn(2, 3 * h, C, generator=g),
              torch.randn(2, 3 * h, generator=g), torch.randn(2, 3 * h, h, generator=g),
              torch.randn(2, 3 * h, generator=g))
    inputs = tuple(x.double().requires_grad_() for x in inputs)
    assert torch.autograd.gradcheck(BiGRUFunction.apply, inputs)


def test_within_length_reversal_reverses_each_sequence_and_keeps_the_padding():
    index = within_length_reversal(torch.tensor([[3], [1], [5]]), torch.arange(5)[None, :])
    assert index.tolist() == [[2, 1, 0, 3, 4], [0, 1, 2, 3, 4], [4, 3, 2, 1, 0]]


def _bag_batch(seed=0):
    """A small frame-layout batch of four bags (one empty) for the bag encoder."""
    g = torch.Generator().manual_seed(seed)
    window, stride, gap = 10, 5, 5
    lengths = [3, 1, 0, 6]
    frames, valid, starts, seg_frames, position = [], [], [], [], 0
    for n in lengths:
        n_frames = (n - 1) * stride + window if n else 0
        frames += [torch.zeros(gap, 4), torch.randn(n_frames, 4, generator=g)]
        valid += [torch.zeros(gap, dtype=torch.bool), torch.ones(n_frames, dtype=torch.bool)]
        starts += [position + gap + j * stride for j in range(n)]
        seg_frames += [window] * n
        position += gap + n_frames
    # as in the real layout, every bag starts at a multiple of the stride (gap and bags are)
    return dict(frames=torch.cat(frames + [torch.zeros(gap, 4)]),
                frame_valid=torch.cat(valid + [torch.zeros(gap, dtype=torch.bool)]),
                segment_starts=torch.tensor(starts), segment_frames=torch.tensor(seg_frames),
                bag_lengths=torch.tensor(lengths)), window, stride


@pytest.mark.parametrize("convolution", ["segment", "frame"])
def test_bag_encoder_trains_with_it_and_gets_nn_grus_result_and_gradients(convolution,
                                                                          monkeypatch):
    batch, window, stride = _bag_batch()
    torch.manual_seed(0)
    enc = BagEncoder(n_lld=4, hf_dim=8, channels=5, window_frames=window, stride_frames=stride,
                     convolution=convolution)
    calls = []
    real = maec_nn.bidirectional_gru
    monkeypatch.setattr(maec_nn, "bidirectional_gru",
                        lambda *a: calls.append(1) or real(*a))
    results = {}
    for fast in (True, False):
        enc.fast_gru = fast
        enc.zero_grad()
        hf = enc(**batch)
        (hf.sin() * torch.arange(hf.numel()).view_as(hf)).sum().backward()
        results[fast] = hf.detach(), [p.grad.clone() for p in enc.parameters()]
    assert len(calls) == 1  # the fast path ran once (fast_gru=True), nn.GRU the other time
    (hf_fast, g_fast), (hf_native, g_native) = results[True], results[False]
    torch.testing.assert_close(hf_fast, hf_native, atol=1e-6, rtol=1e-5)
    assert not hf_fast[2].any()  # the empty bag
    for a, b in zip(g_fast, g_native, strict=True):
        torch.testing.assert_close(a, b, atol=1e-5, rtol=1e-4)
    assert bool(enc.gru.weight_hh_l0_reverse.grad.abs().sum() > 0)


def test_bag_encoder_uses_nn_gru_in_evaluation_and_without_gradients(monkeypatch):
    batch, window, stride = _bag_batch(seed=3)
    enc = BagEncoder(n_lld=4, hf_dim=8, channels=5, window_frames=window, stride_frames=stride)

    def refuse(*args):
        raise AssertionError("the training BiGRU ran outside training")

    monkeypatch.setattr(maec_nn, "bidirectional_gru", refuse)
    with torch.no_grad():
        enc.train()(**batch)
    enc.eval()(**batch)
    enc.train()
    with pytest.raises(AssertionError, match="outside training"):
        enc(**batch)  # the check above is live: training with gradients does take it
