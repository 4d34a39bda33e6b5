"""The frame-level convolution (``convolution="frame"``) against the per-segment form.

Pinned here, on overlapping and consecutive segments and several kernels:

* inside every window, farther than the block's reach from its borders, the
  per-frame outputs of the frame form (one convolution of the whole batch
  layout: several utterances with zero gaps) equal the per-segment form's;
  each segment's ``h_i`` is the mean of those outputs over its window;
* padding never changes a result, in either form: the width of the zero gaps
  between utterances, the other utterances of the batch (bags padded to the
  longest), and the grouping of the attention (``max_padding``) leave the
  codes, the logits and the gradients as they are.

(``tests/test_nn.py`` pins the same for one configuration, short utterances
and the batch layout itself.)
"""

import numpy as np
import pytest
import torch

from sklearn_maec._batching import BagTable, pack_bags
from sklearn_maec.model.nn import BagEncoder, MAECNetwork, SegmentEncoder

L, C = 4, 6  # descriptors per frame, channels


def make_table(n_segments, window, stride, seed=0, short=()):
    """A BagTable of utterances of ``n_segments`` segments (and short ones of ``short`` frames)."""
    rng = np.random.default_rng(seed)
    utterances = [rng.standard_normal(((n - 1) * stride + window, L)).astype(np.float32)
                  for n in n_segments]
    utterances += [rng.standard_normal((n, L)).astype(np.float32) for n in short]
    bags = np.empty(len(utterances), dtype=object)
    frames = np.empty(len(utterances), dtype=object)
    for k, u in enumerate(utterances):
        if len(u) < window:  # a short utterance: one zero-padded segment
            bags[k] = np.pad(u, ((0, window - len(u)), (0, 0)))[None]
        else:
            n = 1 + (len(u) - window) // stride
            bags[k] = np.stack([u[j * stride:j * stride + window] for j in range(n)])
        frames[k] = u
    return BagTable(bags, frames, window, L, stride)


def batch_of(table, refs, gap):
    return {k: torch.from_numpy(v) for k, v in pack_bags(table, refs, gap=gap).items()}


def encoders(kernel_size, dilation, window, stride, seed=0):
    torch.manual_seed(seed)
    kwargs = dict(n_lld=L, channels=C, bottleneck_dim=4, kernel_size=kernel_size,
                  dilation=dilation, window_frames=window, stride_frames=stride)
    seg = SegmentEncoder(convolution="segment", **kwargs).eval()
    frame = SegmentEncoder(convolution="frame", **kwargs).eval()
    frame.load_state_dict(seg.state_dict())
    return seg, frame


@pytest.mark.parametrize("kernel_size, dilation", [(3, 1), (3, 2), (5, 2), (3, 3)])
@pytest.mark.parametrize("stride", [24, 8, 5])  # consecutive (the window) and overlapping
def test_per_frame_outputs_equal_per_segment_outputs_away_from_window_borders(
        kernel_size, dilation, stride):
    window = 24
    reach = (kernel_size // 2) * (2 + dilation)
    seg, frame = encoders(kernel_size, dilation, window, stride)
    table = make_table([4, 1, 6], window, stride, seed=1, short=[7])
    batch = batch_of(table, {"current": [0, 1, 2, 3]}, gap=frame.frame_gap)
    frames, valid = batch["frames"], batch["frame_valid"]
    starts, n_frames = batch["segment_starts"], batch["segment_frames"]
    full = n_frames == window
    with torch.no_grad():
        pad = ~valid.view(1, 1, -1)
        whole = frame.convolve(frames.t()[None], pad)[0].masked_fill(pad[0], 0.0)  # (C, T)
        windows = torch.from_numpy(np.concatenate(list(table.bags[:3])))  # the full segments
        per = seg.convolve(windows.transpose(1, 2),
                           torch.zeros(len(windows), 1, window, dtype=torch.bool))  # (N, C, W)
        h_frame, bt_frame = frame(frames, valid, starts, n_frames)
        h_seg, bt_seg = seg(frames, valid, starts, n_frames)
    full_starts = starts[full].tolist()
    assert len(full_starts) == len(windows) == 11
    inner = slice(reach, window - reach)
    for n, start in enumerate(full_starts):
        # the batch layout holds each segment's frames from its start
        torch.testing.assert_close(frames[start:start + window], windows[n])
        torch.testing.assert_close(per[n][:, inner], whole[:, start:start + window][:, inner],
                                   atol=1e-5, rtol=1e-5)
    # one frame nearer a border than the reach they differ (zero padding against the real
    # neighbouring frames) for segments inside an utterance: the reach is tight
    first = {int(table.n_segments[:k].sum()) for k in range(3)}  # an utterance's first segment
    inside = [n for n in range(len(full_starts)) if n not in first]
    near = torch.stack([per[n][:, reach - 1] for n in inside])
    near_whole = torch.stack([whole[:, full_starts[n] + reach - 1] for n in inside])
    assert not torch.allclose(near, near_whole, atol=1e-4)
    # h_i: the mean of the outputs over the segment's (true) frames, in both forms
    expected = torch.stack([whole[:, s:s + int(m)].mean(1)
                            for s, m in zip(starts, n_frames, strict=True)])
    torch.testing.assert_close(h_frame, expected, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(h_seg[full], per.mean(2), atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(bt_frame, frame.bottleneck(h_frame))
    # where no window is nearer a border than the reach the two forms' h_i differ
    assert not torch.allclose(h_frame[full], h_seg[full], atol=1e-4)


def _network(convolution, window, stride, seed=0):
    torch.manual_seed(seed)
    return MAECNetwork(n_lld=L, n_classes=3, latent_dim=16, channels=C, window_frames=window,
                       stride_frames=stride, convolution=convolution, dropout=0.0).eval()


def _set_max_padding(net, max_padding):
    for encoder in net.encoders:
        encoder.max_padding = max_padding


@pytest.mark.parametrize("stride", [12, 4])
@pytest.mark.parametrize("convolution", ["frame", "segment"])
def test_padding_never_changes_a_sample_result(convolution, stride):
    """Each sample's code and logits are those it gets alone, whatever pads the batch."""
    window = 12
    net = _network(convolution, window, stride)
    table = make_table([9, 1, 3, 14, 2, 6], window, stride, seed=2, short=[5, 11])
    refs = {"current": [0, 1, 2, 3, 4, 6, 7], "previous": [-1, 5, 0, 2, -1, 3, 6],
            "interlocutor": [5, -1, 7, 1, 6, 6, -1]}
    with torch.no_grad():
        alone = []
        for i in range(len(refs["current"])):
            one = {role: [ref[i]] for role, ref in refs.items()}
            alone.append(net(**batch_of(table, one, gap=net.frame_gap)))
        for gap in (net.frame_gap, net.frame_gap + 3, 17):
            for max_padding in (0.0, 0.1, 1.0):
                _set_max_padding(net, max_padding)
                emotion, gender, z = net(**batch_of(table, refs, gap=gap))
                for i, (e, g, zi) in enumerate(alone):
                    torch.testing.assert_close(z[i], zi[0], atol=1e-5, rtol=1e-5)
                    torch.testing.assert_close(emotion[i], e[0], atol=1e-5, rtol=1e-5)
                    torch.testing.assert_close(gender[i], g[0], atol=1e-5, rtol=1e-5)
    # and the codes are not all alike (the comparison means something)
    assert not torch.allclose(z[0], z[1], atol=1e-4)


@pytest.mark.parametrize("convolution", ["frame", "segment"])
def test_padding_never_changes_the_gradients(convolution):
    """The gap width and the attention's grouping leave the parameters' gradients as they are."""
    window, stride = 10, 5
    torch.manual_seed(0)
    enc = BagEncoder(n_lld=L, hf_dim=8, channels=C, window_frames=window, stride_frames=stride,
                     convolution=convolution)
    table = make_table([7, 1, 3, 12, 2], window, stride, seed=3, short=[4])
    refs = {"current": list(range(6))}
    keys = ("frames", "frame_valid", "segment_starts", "segment_frames", "bag_lengths")
    grads = []
    for gap, max_padding in [(enc.segment.frame_gap, 0.1), (enc.segment.frame_gap + 5, 0.0),
                             (9, 1.0)]:
        enc.max_padding = max_padding
        enc.zero_grad()
        batch = batch_of(table, refs, gap=gap)
        hf = enc(*(batch[k] for k in keys))
        (hf ** 2).sum().backward()
        grads.append((hf.detach(), [p.grad.clone() for p in enc.parameters()]))
    (hf0, g0) = grads[0]
    for hf, g in grads[1:]:
        torch.testing.assert_close(hf, hf0, atol=1e-5, rtol=1e-5)
        for a, b in zip(g, g0, strict=True):
            torch.testing.assert_close(a, b, atol=1e-5, rtol=1e-4)
    assert all(bool(p.abs().sum() > 0) for p in g0)
