"""Tests of sklearn_maec.model.nn: the MAEC network as plain torch modules (no skorch)."""

import itertools
import math

import numpy as np
import pytest
import torch
from conftest import network_batch

from sklearn_maec.model import ClassMixturePrior, GaussianPrior
from sklearn_maec.model._prior import class_mixture_means
from sklearn_maec.model.nn import (
    BagEncoder,
    Discriminator,
    MAECNetwork,
    SegmentEncoder,
    _fuse,
    current_code,
    length_groups,
)

W, L = 12, 5  # frames per segment, descriptors per frame


# --- helpers
CONVOLUTIONS = ["frame", "segment"]


def make_bags(lengths, seed=0, w=W, n_lld=L):
    g = torch.Generator().manual_seed(seed)
    return [torch.randn(n, w, n_lld, generator=g) for n in lengths]


def concat(bags, n_frames=None, gap=2):
    """BagEncoder's positional inputs (the batch layout) for bags of consecutive segments."""
    batch = network_batch([b.numpy() for b in bags], list(range(len(bags))), n_frames=n_frames,
                          gap=gap)
    return (batch["frames"], batch["frame_valid"], batch["segment_starts"],
            batch["segment_frames"], batch["bag_lengths"])


def bag_encoder(seed=0, **kwargs):
    torch.manual_seed(seed)
    kwargs = {"n_lld": L, "hf_dim": 8, "channels": 8, "window_frames": W, **kwargs}
    return BagEncoder(**kwargs).eval()


def network(seed=0, **kwargs):
    torch.manual_seed(seed)
    kwargs = {"n_lld": L, "n_classes": 4, "latent_dim": 16, "channels": 8, "window_frames": W,
              **kwargs}
    return MAECNetwork(**kwargs).eval()


def np_bags(lengths, seed=0, w=W, n_lld=L):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal((n, w, n_lld)).astype(np.float32) for n in lengths]


# --- BagEncoder
@pytest.mark.parametrize("convolution", CONVOLUTIONS)
@pytest.mark.parametrize("pooling", ["mean", "max"])
def test_bag_encoder_is_invariant_to_padding_by_longer_bags(pooling, convolution):
    enc = bag_encoder(pooling=pooling, convolution=convolution)
    short, long1, long2 = make_bags([3, 9, 6], seed=1)
    with torch.no_grad():
        alone = enc(*concat([short]))
        batch = enc(*concat([long1, short, long2]))
        long_alone = enc(*concat([long1]))
    assert alone.shape == (1, 8)
    assert batch.shape == (3, 8)
    torch.testing.assert_close(batch[1], alone[0], atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(batch[0], long_alone[0], atol=1e-5, rtol=1e-5)
    # and the encoder is not constant: different bags give different codes
    assert not torch.allclose(batch[0], batch[1], atol=1e-4)


@pytest.mark.parametrize("max_padding", [0.0, 0.1, 0.5])
def test_length_groups_partition_the_bags_within_the_padding_bound(max_padding):
    lengths = np.random.default_rng(0).integers(0, 60, size=97)
    groups = length_groups(lengths, max_padding)
    assert np.array_equal(np.sort(np.concatenate(groups)), np.arange(97))
    for g in groups:
        sizes = np.maximum(lengths[g], 1)
        assert np.all(np.diff(sizes) <= 0)  # longest first
        assert 1 - sizes.sum() / (sizes[0] * len(g)) <= max_padding + 1e-12
    assert len(length_groups(lengths, 1.0)) == 1


@pytest.mark.parametrize("pooling", ["mean", "max"])
def test_grouped_attention_equals_one_padded_batch(pooling):
    enc = bag_encoder(pooling=pooling)
    lengths = [3, 0, 40, 7, 1, 25, 25, 2, 0, 13]
    frames, *layout = concat(make_bags(lengths, seed=3))
    frames.requires_grad_(True)
    outputs = {}
    for max_padding in (1.0, 0.1):
        enc.max_padding = max_padding
        hf, received = enc(frames, *layout, return_attention=True)
        (grad,) = torch.autograd.grad((hf ** 2).sum(), frames)
        outputs[max_padding] = hf.detach(), received.detach(), grad
    for a, b in zip(outputs[1.0], outputs[0.1], strict=True):
        torch.testing.assert_close(a, b, atol=1e-5, rtol=1e-4)
    received = outputs[0.1][1]
    torch.testing.assert_close(received.sum(1), (layout[-1] > 0).float())


@pytest.mark.parametrize("convolution", CONVOLUTIONS)
@pytest.mark.parametrize("pooling", ["mean", "max"])
def test_empty_bag_gives_zero_code_and_finite_gradients(pooling, convolution):
    torch.manual_seed(0)
    enc = BagEncoder(n_lld=L, hf_dim=8, channels=8, pooling=pooling, convolution=convolution,
                     window_frames=W)  # training mode
    frames, *layout = concat(make_bags([4, 0, 6], seed=2))
    frames.requires_grad_(True)
    hf = enc(frames, *layout)
    assert hf.shape == (3, 8)
    assert torch.isfinite(hf).all()
    assert torch.equal(hf[1], torch.zeros(8))
    assert hf[0].abs().sum() > 0 and hf[2].abs().sum() > 0
    (hf ** 2).sum().backward()
    grads = [p.grad for p in enc.parameters() if p.grad is not None]
    assert grads, "no parameter received a gradient"
    for p in enc.parameters():
        if p.grad is not None:
            assert torch.isfinite(p.grad).all()
    assert torch.isfinite(frames.grad).all()
    assert frames.grad.abs().sum() > 0
    # the real bags' parameters do learn something
    assert any(g.abs().sum() > 0 for g in grads)


def test_batch_of_only_empty_bags():
    enc = bag_encoder()
    frames, *layout = concat(make_bags([0, 0, 0]))
    with torch.no_grad():
        hf, attention = enc(frames, *layout, return_attention=True)
    assert hf.shape == (3, 8)
    assert torch.equal(hf, torch.zeros(3, 8))
    assert torch.equal(attention, torch.zeros_like(attention))


def test_attention_sums_to_one_per_bag_and_is_zero_for_empty_bags():
    enc = bag_encoder()
    lengths = [5, 0, 2, 7]
    with torch.no_grad():
        hf, attention = enc(*concat(make_bags(lengths, seed=3)), return_attention=True)
    assert attention.shape == (4, 7)
    assert torch.isfinite(attention).all()
    assert (attention >= 0).all()
    for k, n in enumerate(lengths):
        if n:
            torch.testing.assert_close(attention[k, :n].sum(), torch.tensor(1.0))
        assert torch.equal(attention[k, n:], torch.zeros(7 - n))
    assert torch.equal(attention[1], torch.zeros(7))
    # the attention variant returns the same codes
    with torch.no_grad():
        plain = enc(*concat(make_bags(lengths, seed=3)))
    torch.testing.assert_close(plain, hf)


@pytest.mark.parametrize("convolution", CONVOLUTIONS)
@pytest.mark.parametrize("n_valid", [1, 4, 7])
def test_what_lies_past_a_short_utterance_does_not_matter(n_valid, convolution):
    """A short utterance (fewer frames than a window) is encoded from its true frames only.

    Whatever follows it in the batch (the gap, the next bag) never reaches its
    code; with no gap between the bags the frame-level convolution would read the
    next bag (the test can fail).
    """
    enc = bag_encoder(convolution=convolution)
    g = torch.Generator().manual_seed(4)
    short = torch.randn(1, W, L, generator=g)
    other, loud = torch.randn(3, W, L, generator=g), 100 * torch.randn(3, W, L, generator=g)
    with torch.no_grad():
        alone = enc(*concat([short], n_frames=[n_valid]))
        ref = enc(*concat([short, other], n_frames=[n_valid, 3 * W]))
        out = enc(*concat([short, loud], n_frames=[n_valid, 3 * W]))
        wide = enc(*concat([short, loud], n_frames=[n_valid, 3 * W], gap=9))
    torch.testing.assert_close(ref[0], alone[0], atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(out[0], alone[0], atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(wide[0], alone[0], atol=1e-5, rtol=1e-5)
    # the short segment is encoded as a segment of only its true frames
    truncated = SegmentEncoder(L, 8, 8, convolution="segment", window_frames=n_valid)
    truncated.load_state_dict(enc.segment.state_dict())
    with torch.no_grad():
        h_short, _ = enc.segment(*concat([short], n_frames=[n_valid])[:4])
        h_cut, _ = truncated.eval()(*concat([short[:, :n_valid]])[:4])
    torch.testing.assert_close(h_short, h_cut, atol=1e-5, rtol=1e-5)
    if convolution == "frame":  # without the gaps, the frame-level kernels would read across
        full = torch.randn(1, W, L, generator=g)
        with torch.no_grad():
            leaky = enc(*concat([full, loud], gap=0))
            sealed = enc(*concat([full, loud], gap=2))
            full_alone = enc(*concat([full]))
        assert not torch.allclose(leaky[0], full_alone[0], atol=1e-3)
        torch.testing.assert_close(sealed[0], full_alone[0], atol=1e-5, rtol=1e-5)


def test_frame_level_convolution_equals_per_segment_away_from_window_borders():
    """Every frame's block output is the per-segment form's, farther than the reach from a border.

    Also: the frame-level ``h_i`` is the mean of those outputs over the segment's
    window, so both forms differ only through the frames near the borders.
    """
    torch.manual_seed(0)
    seg = SegmentEncoder(L, 8, 8, kernel_size=3, dilation=2, convolution="segment",
                         window_frames=W).eval()
    stride, n_seg = 3, 6
    frame = SegmentEncoder(L, 8, 8, kernel_size=3, dilation=2, convolution="frame",
                           window_frames=W, stride_frames=stride).eval()
    frame.load_state_dict(seg.state_dict())
    reach = (3 // 2) * (2 + 2)
    rng = np.random.default_rng(1)
    utterance = rng.standard_normal(((n_seg - 1) * stride + W, L)).astype(np.float32)
    windows = np.stack([utterance[k * stride:k * stride + W] for k in range(n_seg)])
    x = torch.from_numpy(utterance).t()[None]
    with torch.no_grad():
        whole = frame.convolve(x, torch.zeros(1, 1, x.shape[2], dtype=torch.bool))[0]
        per = seg.convolve(torch.from_numpy(windows).transpose(1, 2),
                           torch.zeros(n_seg, 1, W, dtype=torch.bool))
    for k in range(n_seg):
        inner = slice(reach, W - reach)
        torch.testing.assert_close(per[k][:, inner], whole[:, k * stride:k * stride + W][:, inner],
                                   atol=1e-5, rtol=1e-5)
        # at the borders they differ (zero padding against real neighbours), the test can fail
        if 0 < k < n_seg - 1:
            assert not torch.allclose(per[k][:, :1], whole[:, k * stride:k * stride + 1],
                                      atol=1e-4)
    # h_i of the frame form: each window's mean of the whole utterance's outputs
    from sklearn_maec._batching import BagTable, pack_bags

    bags = np.empty(1, dtype=object)
    bags[0] = windows
    frames = np.empty(1, dtype=object)
    frames[0] = utterance
    batch = pack_bags(BagTable(bags, frames, W, L, stride), {"current": [0]}, gap=2)
    layout = [torch.from_numpy(batch[k]) for k in ("frames", "frame_valid", "segment_starts",
                                                   "segment_frames")]
    with torch.no_grad():
        h, _ = frame(*layout)
        h_seg, _ = seg(*layout)
    expected = torch.stack([whole[:, k * stride:k * stride + W].mean(1) for k in range(n_seg)])
    torch.testing.assert_close(h, expected, atol=1e-5, rtol=1e-5)
    per_mean = torch.stack([per[k].mean(1) for k in range(n_seg)])
    torch.testing.assert_close(h_seg, per_mean, atol=1e-5, rtol=1e-5)


def test_bag_encoder_rejects_odd_hf_dim_and_bad_pooling():
    with pytest.raises(ValueError, match="even"):
        BagEncoder(n_lld=L, hf_dim=7)
    with pytest.raises(ValueError, match="pooling"):
        BagEncoder(n_lld=L, hf_dim=8, pooling="median")


# --- MAECNetwork
@pytest.mark.parametrize("use_context, latent_dim", [(True, 16), (True, 8), (False, 6),
                                                     (False, 16)])
def test_latent_code_width(use_context, latent_dim):
    net = network(latent_dim=latent_dim, use_context=use_context)
    batch = network_batch(np_bags([3, 5, 2]), current=[0, 1, 2], previous=[-1, 0, 1],
                             interlocutor=[-1, -1, 0])
    with torch.no_grad():
        z = net.encode(**batch)
        emotion, gender, z2 = net(**batch)
    assert z.shape == (3, latent_dim)
    assert emotion.shape == (3, 4)
    assert gender.shape == (3, 2)
    torch.testing.assert_close(z, z2)
    assert torch.isfinite(z).all()


@pytest.mark.parametrize("use_context, latent_dim, multiple, fusion", [
    (True, 10, 4, "paper"), (True, 6, 4, "paper"), (True, 2, 4, "paper"), (False, 5, 2, "paper"),
    (False, 0, 2, "paper"), (True, 8.0, 4, "paper"), (True, 12, 8, "released"),
    (False, 7, 2, "released"),  # without context: a multiple of 2, whatever the fusion
])
def test_bad_latent_dim_raises_clear_error(use_context, latent_dim, multiple, fusion):
    with pytest.raises(ValueError, match=f"latent_dim must be a positive multiple of {multiple}"):
        MAECNetwork(n_lld=L, n_classes=4, latent_dim=latent_dim, use_context=use_context,
                    fusion=fusion)


def test_unknown_fusion_is_refused():
    with pytest.raises(ValueError, match=r"fusion must be one of \('paper', 'released'\)"):
        network(fusion="sum")


def test_released_fusion_appends_the_context_codes():
    paper, released = network(), network(fusion="released")
    assert paper.encoders[0].hf_dim == 8 and released.encoders[0].hf_dim == 4
    batch = network_batch(np_bags([3, 4, 5]), current=[0, 1], previous=[1, -1],
                             interlocutor=[2, 0])
    with torch.no_grad():
        z = released.encode(**batch)
        hf = released.encoders[0](batch["frames"], batch["frame_valid"],
                                  batch["segment_starts"], batch["segment_frames"],
                                  batch["bag_lengths"])
    assert z.shape == (2, 16)
    torch.testing.assert_close(z[:, 4:8], hf[[0, 1]])  # HF_cur
    torch.testing.assert_close(z[0, 8:12], hf[1])  # HF_pre
    torch.testing.assert_close(z[1, 8:12], torch.zeros(4))  # no previous turn: zeros
    torch.testing.assert_close(z[:, 12:], hf[[2, 0]])  # HF_int
    pi = torch.softmax(z[:, 8:12] * z[:, 12:], dim=-1)
    torch.testing.assert_close(z[:, :4], hf[[0, 1]] * pi)


@pytest.mark.parametrize("use_context, share, n_encoders", [
    (True, True, 1), (True, False, 3), (False, True, 1), (False, False, 1),
])
def test_number_of_encoders(use_context, share, n_encoders):
    net = network(use_context=use_context, share_encoder=share)
    assert len(net.encoders) == n_encoders
    assert len({id(e) for e in net.encoders}) == n_encoders


def test_separate_encoders_each_read_their_own_input():
    net = network(share_encoder=False)
    batch = network_batch(np_bags([3, 4, 5]), current=[0], previous=[1], interlocutor=[2])
    with torch.no_grad():
        ref = net.encode(**batch)
        for role in range(3):
            saved = [p.clone() for p in net.encoders[role].parameters()]
            for p in net.encoders[role].parameters():
                p.add_(0.5)
            changed = net.encode(**batch)
            for p, s in zip(net.encoders[role].parameters(), saved, strict=True):
                p.copy_(s)
            assert not torch.allclose(changed, ref, atol=1e-5), role


def test_previous_bag_changes_z_only_with_context():
    cur, prev_a, prev_b, inter = np_bags([4, 3, 6, 5], seed=5)
    for use_context in (True, False):
        net = network(use_context=use_context)
        za = net.encode(**network_batch([cur, prev_a, inter], [0], [1], [2]))
        zb = net.encode(**network_batch([cur, prev_b, inter], [0], [1], [2]))
        if use_context:
            assert not torch.allclose(za, zb, atol=1e-6)
        else:
            torch.testing.assert_close(za, zb)


def test_missing_context_turns_are_empty_bags():
    net = network()
    bags = np_bags([4, 3], seed=6)
    batch = network_batch(bags, current=[0, 1, 1], previous=[-1, 0, -1],
                             interlocutor=[-1, -1, 0])
    with torch.no_grad():
        z = net.encode(**batch)
    assert z.shape == (3, 16)
    assert torch.isfinite(z).all()
    # no context at all: PI is uniform, Z = concat(HF_cur / (latent_dim / 2), HF_cur)
    hf = z[0, 8:]
    torch.testing.assert_close(z[0, :8], hf / 8)
    # a present previous turn without an interlocutor turn gives PI = softmax(0) too
    torch.testing.assert_close(z[1], z[2])
    # packing an explicitly empty bag gives the same as -1
    empty = np.zeros((0, W, L), np.float32)
    with torch.no_grad():
        z_empty = net.encode(**network_batch([bags[0], empty], [0], [1], [1]))
    torch.testing.assert_close(z_empty[0], z[0])


def test_the_batch_layout_is_what_encode_accepts():
    bags = np_bags([2, 5, 1], seed=7)
    batch = network_batch(bags, current=[0, 2], previous=[1, -1], interlocutor=[-1, 0],
                          n_frames=[None, None, 7], gap=2)
    # the bags' frames one after the other, at least two zero frames around each, every bag
    # starting at a multiple of the stride (W here: consecutive segments)
    valid = batch["frame_valid"].numpy()
    assert batch["frames"].dtype == torch.float32 and batch["frames"].shape[1] == L
    assert int(valid.sum()) == 7 * W + 7
    assert not valid[:2].any() and not valid[-2:].any()
    edges = np.flatnonzero(np.diff(valid.astype(int)))  # where runs of frames start and end
    assert len(edges) == 6 and np.all(np.diff(edges)[1::2] >= 2)  # gaps of >= 2 zero frames
    assert np.abs(batch["frames"].numpy()[~valid]).max() == 0
    assert batch["bag_lengths"].tolist() == [2, 5, 1]
    starts = batch["segment_starts"].tolist()
    assert all(start % W == 0 for start in starts) and starts[1] == starts[0] + W
    assert starts[0] == edges[0] + 1  # the first bag's first segment starts at its first frame
    for k, start in enumerate(starts[:2]):  # each segment's frames are the bag's
        np.testing.assert_array_equal(batch["frames"][start:start + W].numpy(), bags[0][k])
    # only the single segment of a bag shorter than one window has fewer frames
    assert batch["segment_frames"].tolist() == [W] * 7 + [7]
    assert batch["current"].tolist() == [0, 2]
    assert batch["previous"].tolist() == [1, -1]
    for convolution in ("frame", "segment"):
        net = network(convolution=convolution)
        with torch.no_grad():
            z = net.encode(**batch)
            emotion, gender, _ = net(**batch)
        assert z.shape == (2, 16) and emotion.shape == (2, 4) and gender.shape == (2, 2)
        assert torch.isfinite(z).all()


@pytest.mark.parametrize("share", [True, False])
def test_distinct_bags_encoded_once_give_the_same_codes(share):
    """Sample 2's previous bag is sample 1's current bag: one copy in the batch is enough."""
    net = network(share_encoder=share)
    a, b, c = np_bags([4, 6, 3], seed=8)
    # together: bags a, b, c once; sample 1 = (a, -, c), sample 2 = (b, a, c)
    together = net.encode(**network_batch([a, b, c], current=[0, 1], previous=[-1, 0],
                                             interlocutor=[2, 2]))
    first = net.encode(**network_batch([a, c], current=[0], previous=[-1], interlocutor=[1]))
    second = net.encode(**network_batch([b, a, c], current=[0], previous=[1],
                                           interlocutor=[2]))
    torch.testing.assert_close(together[0], first[0], atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(together[1], second[0], atol=1e-5, rtol=1e-5)
    # the same bag repeated in the batch (no deduplication) gives the same too
    repeated = net.encode(**network_batch([a, c, b, a, c], current=[0, 2], previous=[-1, 3],
                                             interlocutor=[1, 4]))
    torch.testing.assert_close(repeated, together, atol=1e-5, rtol=1e-5)


def test_encode_returns_attention_over_current_bags():
    net = network()
    batch = network_batch(np_bags([3, 6, 2], seed=9), current=[2, 0], previous=[1, -1],
                             interlocutor=[0, 1])
    with torch.no_grad():
        z, attention = net.encode(**batch, return_attention=True)
    torch.testing.assert_close(z, net.encode(**batch))
    assert attention.shape[0] == 2
    torch.testing.assert_close(attention.sum(dim=1), torch.ones(2))
    assert torch.equal(attention[0, 2:], torch.zeros(attention.shape[1] - 2))


# --- Discriminator and prior
def test_discriminator_shapes_unconditioned():
    torch.manual_seed(0)
    disc = Discriminator(latent_dim=8, hidden=16)
    z = torch.randn(5, 8)
    out = disc(z)
    assert out.shape == (5,)
    assert torch.isfinite(out).all()
    # rows are scored independently
    torch.testing.assert_close(disc(z[2:3]), out[2:3])


def test_discriminator_conditioned_on_the_class():
    torch.manual_seed(0)
    disc = Discriminator(latent_dim=8, hidden=16, n_conditions=3)
    z = torch.randn(4, 8)
    labels = torch.tensor([0, 1, 2, 0])
    out = disc(z, labels)
    assert out.shape == (4,)
    assert torch.isfinite(out).all()
    for other in (1, 2):
        shifted = disc(z, (labels + other) % 3)
        assert not torch.allclose(shifted, out), other
    # same code, same label: same score
    torch.testing.assert_close(disc(z[[0]], labels[[0]]), out[[0]])
    assert disc.net[0].in_features == 8 + 3


@pytest.mark.parametrize("n_classes, latent_dim, radius", [(4, 8, 3.0), (8, 8, 1.5), (2, 16, 5.0)])
def test_class_mixture_means_are_equidistant(n_classes, latent_dim, radius):
    means = class_mixture_means(n_classes, latent_dim, radius)
    assert means.shape == (n_classes, latent_dim)
    torch.testing.assert_close(means.norm(dim=1), torch.full((n_classes,), radius))
    for i, j in itertools.combinations(range(n_classes), 2):
        d = (means[i] - means[j]).norm()
        assert math.isclose(float(d), radius * math.sqrt(2), rel_tol=1e-5), (i, j)
    # fixed: the same call gives the same means
    torch.testing.assert_close(class_mixture_means(n_classes, latent_dim, radius), means)


def test_class_mixture_means_more_classes_than_dimensions():
    means = class_mixture_means(6, 4, 2.0)
    assert means.shape == (6, 4)
    torch.testing.assert_close(means.norm(dim=1), torch.full((6,), 2.0))
    assert torch.cdist(means, means)[~torch.eye(6, dtype=bool)].min() > 0


@pytest.mark.parametrize("mu, sigma", [(0.0, 1.0), (2.0, 0.5), (-1.0, 3.0)])
def test_gaussian_prior_moments(mu, sigma):
    g = torch.Generator().manual_seed(0)
    n, d = 100_000, 4
    x = GaussianPrior(d, mu, sigma).sample(n, generator=g)
    assert x.shape == (n, d)
    assert x.dtype == torch.float32
    # standard errors: sigma / sqrt(n) for the mean, about sigma / sqrt(2n) for the std
    tol_mean = 5 * sigma / math.sqrt(n)
    tol_std = 5 * sigma / math.sqrt(2 * n)
    assert (x.mean(dim=0) - mu).abs().max() < tol_mean
    assert (x.std(dim=0) - sigma).abs().max() < tol_std
    # seeded: the same generator seed gives the same sample
    again = GaussianPrior(d, mu, sigma).sample(n, generator=torch.Generator().manual_seed(0))
    assert torch.equal(x, again)


def test_class_mixture_prior_is_centred_on_each_labels_mean():
    g = torch.Generator().manual_seed(1)
    n_classes, d, sigma = 3, 6, 0.4
    prior = ClassMixturePrior(d, 4.0, sigma, n_classes)
    means = class_mixture_means(n_classes, d, 4.0)
    np.testing.assert_allclose(prior.means, means.numpy(), rtol=1e-6)
    assert prior.n_conditions == n_classes and prior.condition(means) is means
    labels = torch.arange(n_classes).repeat_interleave(30_000)
    x = prior.sample(len(labels), labels, generator=g)
    assert x.shape == (len(labels), d)
    tol = 5 * sigma / math.sqrt(30_000)
    for k in range(n_classes):
        rows = x[labels == k]
        assert (rows.mean(dim=0) - means[k]).abs().max() < tol, k
        assert (rows.std(dim=0) - sigma).abs().max() < 5 * sigma / math.sqrt(60_000), k


@pytest.mark.parametrize("use_context,fusion", [(False, "paper"), (True, "paper"),
                                                (True, "released")])
def test_current_code_finds_hf_cur_in_every_layout_of_z(use_context, fusion):
    hf_cur, hf_pre, hf_int = torch.randn(3, 5, 4).unbind(0)
    z = _fuse(hf_cur, hf_pre, hf_int, fusion == "released") if use_context else hf_cur
    torch.testing.assert_close(current_code(z, use_context, fusion), hf_cur)



# --- latent normalisation
def test_latent_norm_gives_unit_spread_codes_in_training_and_the_raw_code_on_request():
    net = network(latent_norm="batch", dropout=0.0).train()
    batch = network_batch(np_bags([3, 4, 5, 6, 2, 7, 3, 5]), current=list(range(8)),
                          previous=[-1, 0, 1, 2, 3, 4, 5, 6], interlocutor=[-1] * 8)
    z = net.encode(**batch)
    raw = net.encode(**batch, normalise=False)
    # the paper's code is a product of tanh poolings: far smaller than a N(0, 1) prior
    assert raw.std(dim=0).max() < 0.3
    var = raw.var(dim=0, unbiased=False)
    expected = (raw - raw.mean(dim=0)) / torch.sqrt(var + net.latent_norm.norm.eps)
    torch.testing.assert_close(z, expected)  # weight 1, bias 0 at initialisation
    torch.testing.assert_close(z.mean(dim=0), torch.zeros(16), atol=1e-5, rtol=0)
    spread = var > 1e-3  # units whose spread is not below the normalisation's eps
    assert spread.any()
    torch.testing.assert_close(z.std(dim=0, unbiased=False)[spread],
                               torch.ones(int(spread.sum())), atol=1e-2, rtol=0)


def test_latent_norm_none_is_the_papers_code():
    net = network(latent_norm=None)
    batch = network_batch(np_bags([3, 4]), current=[0, 1], previous=[1, -1],
                          interlocutor=[-1, 0])
    with torch.no_grad():
        torch.testing.assert_close(net.encode(**batch), net.encode(**batch, normalise=False))
    assert net.latent_norm is None


def test_latent_norm_of_a_single_sample_batch_uses_the_running_statistics():
    net = network(latent_norm="batch", dropout=0.0).train()
    batch = network_batch(np_bags([4]), current=[0], previous=[-1], interlocutor=[-1])
    z = net.encode(**batch)
    assert torch.isfinite(z).all()  # a batch of one has no spread to normalise by
    norm = net.latent_norm.norm
    expected = (net.encode(**batch, normalise=False) - norm.running_mean) \
        / torch.sqrt(norm.running_var + norm.eps) * norm.weight + norm.bias
    torch.testing.assert_close(z, expected)


def test_unknown_latent_norm_is_refused():
    with pytest.raises(ValueError, match="latent_norm must be one of"):
        network(latent_norm="layer")


# --- attention scores
@pytest.mark.parametrize("attention, scale", [("dot", 1.0), ("scaled_dot", 1 / math.sqrt(8))])
def test_attention_scores_are_the_dot_product_optionally_scaled(attention, scale):
    encoder = bag_encoder(attention=attention)
    assert encoder.score_scale == pytest.approx(scale)
    g = torch.Generator().manual_seed(0)
    BT, key = torch.randn(2, 4, 8, generator=g), torch.randn(2, 4, 8, generator=g)
    mask = torch.tensor([[True] * 4, [True, True, False, False]])
    _, weights = encoder._attend(BT, key * mask.unsqueeze(-1), mask, True)
    scores = torch.bmm(BT, (key * mask.unsqueeze(-1)).transpose(1, 2)) * scale
    expected = torch.softmax(scores.masked_fill(~mask.unsqueeze(1), float("-inf")), dim=-1)
    received = (expected * mask.unsqueeze(-1)).sum(dim=1) / mask.sum(dim=1, keepdim=True)
    torch.testing.assert_close(weights, received)


def test_unknown_attention_is_refused():
    with pytest.raises(ValueError, match="attention must be one of"):
        bag_encoder(attention="cosine")
