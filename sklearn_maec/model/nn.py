"""The MAEC network as plain PyTorch modules (usable without skorch).

Shapes use ``B`` for the samples of a batch, ``U`` for the distinct bags the
batch needs (the samples' utterances and their context turns, each once),
``N`` for all their segments, ``S`` for the longest bag, ``W`` for frames per
segment and ``L`` for low-level descriptors per frame.  Bags travel as their
frames, one bag after the other with zero gaps between them, and each segment
as its first frame, so the convolutions run once over every frame (or, with
``convolution="segment"``, once per segment) and no padding reaches a real
frame; :func:`sklearn_maec._batching.collate` builds such a batch from the
pipeline's table (its arrays, as tensors, are the keyword arguments of
:meth:`MAECNetwork.encode`).

* :class:`SegmentEncoder`: per segment, a dilated convolution block (two
  ordinary convolutions and one dilated convolution) plus a convolutional
  shortcut, pooled over the segment's frames into ``h_i``, and a fully
  connected bottleneck ``bt_i``.
* :class:`BagEncoder`: runs the segment encoder on every segment, then a
  bidirectional GRU (packed, so padding is skipped; for CPU training
  :mod:`sklearn_maec.model._gru`'s equal, faster form) over ``H`` (the keys), dot-product
  attention with the bottleneck output as the query, global pooling of the
  attention output (``KQ``) and of the keys (``V``), ``HF = KQ * V``; the
  attention runs on groups of bags of similar length (:func:`length_groups`).
* :class:`MAECNetwork`: the bag encoder applied to the current utterance, the
  speaker's previous turn and the interlocutor's turn, fused into the latent
  code ``Z = concat(HF_cur * softmax(HF_pre * HF_int), HF_cur)``, and the
  emotion and gender heads.
* :class:`Discriminator`: two fully connected layers telling prior samples
  from latent codes (optionally conditioned on the class).
"""

import math

import numpy as np
import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from .._validation import check_option
from ._gru import bidirectional_gru

__all__ = ["SegmentEncoder", "BagEncoder", "MAECNetwork", "Discriminator", "length_groups"]

ROLES = ("current", "previous", "interlocutor")


# The helpers below are annotated so that TorchScript can compile them: the
# export network (``_export.py``) calls the same code.
def _masked_mean(x: torch.Tensor, mask: torch.Tensor, dim: int) -> torch.Tensor:
    """Mean of ``x`` over ``dim`` where ``mask`` is True; 0 where nothing is valid."""
    mask = mask.to(x.dtype)
    total = (x * mask.unsqueeze(-1)).sum(dim)
    count = mask.sum(dim).clamp(min=1.0).unsqueeze(-1)
    return total / count


def _masked_max(x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Max of ``x`` (B, S, D) over the valid slots of ``mask`` (B, S); 0 for a row with none."""
    filled = x.masked_fill(~mask.unsqueeze(-1), float("-inf")).amax(dim=1)
    return torch.where(mask.any(dim=1, keepdim=True), filled, torch.zeros_like(filled))


#: How the segment encoder convolves: each frame once, or each segment on its own.
CONVOLUTIONS = ("frame", "segment")
#: How the attention scores are computed from the bottleneck queries and the BiGRU keys.
ATTENTIONS = ("dot", "scaled_dot")
#: The global pooling of the attention output and of the keys.
POOLINGS = ("mean", "max")


class SegmentEncoder(nn.Module):
    """Dilated convolutions with a convolutional shortcut, pooled per segment, and a bottleneck.

    Parameters
    ----------
    n_lld : int
        Descriptors per frame (input channels).
    channels : int, default=64
        Channels of the convolutions (size of ``h_i``).
    bottleneck_dim : int, default=32
        Size of the bottleneck output ``bt_i``.
    kernel_size : int, default=3
        Kernel of every convolution (odd).
    dilation : int, default=2
        Dilation of the third convolution.
    dropout : float, default=0.0
        Dropout on ``h_i``.
    convolution : {"frame", "segment"}, default="frame"
        ``"frame"``: the convolutions run once over each utterance's frames and
        each segment's ``h_i`` is the mean of its window of the output, so every
        frame is convolved once whatever the overlap of the segments (near a
        window's border the kernels see the real neighbouring frames).
        ``"segment"``: each segment is convolved on its own, zero-padded at its
        borders (the paper's literal reading; five times the work at the
        default overlap).  Inside a window, farther than the block's reach
        (``(kernel_size // 2) * (2 + dilation)`` frames) from its borders, both
        give the same per-frame outputs.
    window_frames : int, default=50
        Frames per segment.
    stride_frames : int or None, default=None
        Frames between the starts of consecutive segments (the batch layout
        starts every bag at a multiple of it, so one pooling of that stride
        gives every segment's mean); None: ``window_frames``.
    """

    def __init__(self, n_lld, channels=64, bottleneck_dim=32, kernel_size=3, dilation=2,
                 dropout=0.0, convolution="frame", window_frames=50, stride_frames=None):
        super().__init__()
        check_option("convolution", convolution, CONVOLUTIONS)
        pad = kernel_size // 2
        self.conv1 = nn.Conv1d(n_lld, channels, kernel_size, padding=pad)
        self.conv2 = nn.Conv1d(channels, channels, kernel_size, padding=pad)
        self.dilated = nn.Conv1d(channels, channels, kernel_size, dilation=dilation,
                                 padding=pad * dilation)
        self.shortcut = nn.Conv1d(n_lld, channels, 1)
        self.dropout = nn.Dropout(dropout)
        self.bottleneck = nn.Sequential(nn.Linear(channels, bottleneck_dim), nn.Tanh())
        self.convolution = convolution
        self.window_frames = int(window_frames)
        self.stride_frames = int(stride_frames or window_frames)
        #: Zero frames needed between two utterances' frames (the widest kernel's reach).
        self.frame_gap = pad * max(dilation, 1)

    def forward(self, frames, frame_valid, segment_starts, segment_frames):
        """Encode the segments of the frame layout of :func:`sklearn_maec._batching.pack_bags`.

        Parameters
        ----------
        frames : Tensor of shape (T, L)
            The bags' frames, with zero gaps of at least ``frame_gap`` frames
            around each bag.
        frame_valid : BoolTensor of shape (T,)
            False on the gaps.
        segment_starts : LongTensor of shape (N,)
            Each segment's first frame.
        segment_frames : LongTensor of shape (N,)
            Its true frames (``W`` except a short utterance's single segment).

        Returns
        -------
        h : Tensor of shape (N, channels)
        bt : Tensor of shape (N, bottleneck_dim)
        """
        if self.convolution == "segment":
            h = self._per_segment(self._windows(frames, segment_starts), segment_frames)
        else:
            h = self._per_frame(frames, frame_valid, segment_starts, segment_frames)
        h = self.dropout(h)
        return h, self.bottleneck(h)

    def _windows(self, frames, segment_starts):
        """The segments as ``(N, W, L)`` (frames past the layout's end repeat its last one)."""
        steps = torch.arange(self.window_frames, device=frames.device)
        index = (segment_starts[:, None] + steps[None, :]).clamp(max=frames.shape[0] - 1)
        return frames[index]

    def convolve(self, x, pad):
        """The convolution block on sequences of frames.

        Every layer's input, and the output, is zero where ``pad`` is True, so
        what lies beyond a sequence's true frames never reaches them through
        the kernels.  The masking rides on the ReLUs: ``-inf`` is added off the
        frames before each, in place (no copies of the activations, and the
        ReLU's backward zeroes the gradient there).

        Parameters
        ----------
        x : Tensor of shape (n, L, T)
            Sequences of frames (zero where ``pad`` is True).
        pad : BoolTensor of shape (n, 1, T)
            True off the true frames.

        Returns
        -------
        y : Tensor of shape (n, channels, T)
            The block's output (zero where ``pad`` is True).
        """
        off = torch.zeros(pad.shape, dtype=x.dtype, device=x.device).masked_fill_(pad, -math.inf)
        y = self.conv1(x).add_(off).relu_()
        y = self.conv2(y).add_(off).relu_()
        return self.dilated(y).add_(self.shortcut(x)).add_(off).relu_()

    def _per_segment(self, x, n_valid_frames):
        x = x.transpose(1, 2)  # (N, L, W)
        steps = torch.arange(x.shape[2], device=x.device)
        frame_mask = steps[None, :] < n_valid_frames[:, None]
        pad = ~frame_mask.unsqueeze(1)  # (N, 1, W)
        y = self.convolve(x.masked_fill(pad, 0.0), pad)  # (N, C, W)
        return _masked_mean(y.transpose(1, 2), frame_mask, dim=1)

    def _per_frame(self, frames, frame_valid, segment_starts, segment_frames):
        x = frames.t().contiguous().unsqueeze(0)  # (1, L, T); the gaps hold zeros
        y = self.convolve(x, ~frame_valid.view(1, 1, -1))  # (1, C, T), zero off the frames
        # every segment starts at a multiple of the stride (the batch layout sees to it):
        # one pooling gives the mean of every such window; a short utterance's single
        # window is followed by zeros, so its mean over its true frames is rescaled
        pooled = torch.nn.functional.avg_pool1d(y, self.window_frames, self.stride_frames)[0]
        h = pooled[:, torch.div(segment_starts, self.stride_frames, rounding_mode="floor")]
        scale = self.window_frames / segment_frames.to(h.dtype)
        return (h * scale).t()


def length_groups(lengths, max_padding=0.1):
    """Split bags into groups of similar length, for padded per-group attention.

    Bags are sorted by length (longest first) and cut greedily: a group takes
    the next bag as long as padding all its bags to the group's longest keeps
    the padded fraction of its ``(bags, length)`` slots at most ``max_padding``.

    Parameters
    ----------
    lengths : array-like of int, shape (U,)
        Segments per bag.
    max_padding : float, default=0.1
        Largest fraction of padded slots in a group (1.0 gives one group).

    Returns
    -------
    groups : list of ndarray of int
        Indices into ``lengths``, each group sorted by decreasing length; the
        groups partition ``range(U)``.
    """
    lengths = np.maximum(np.asarray(lengths, dtype=np.int64), 1)
    order = np.argsort(-lengths, kind="stable")
    groups, start, total = [], 0, 0
    for k, i in enumerate(order):
        longest = lengths[order[start]]
        total += lengths[i]
        if 1 - total / (longest * (k - start + 1)) > max_padding:
            groups.append(order[start:k])
            start, total = k, lengths[i]
    if len(order):
        groups.append(order[start:])
    return groups


class BagEncoder(nn.Module):
    """Multi-instance encoder of one bag of segments into ``HF``.

    Parameters
    ----------
    n_lld : int
        Descriptors per frame.
    hf_dim : int
        Size of ``HF`` (even: the BiGRU has ``hf_dim // 2`` units per direction,
        and the bottleneck has ``hf_dim`` units so it can query the keys).
    channels : int, default=64
        Convolution channels.
    kernel_size : int, default=3
        Convolution kernel.
    dilation : int, default=2
        Dilation of the dilated convolution.
    dropout : float, default=0.0
        Dropout on the segment vectors.
    pooling : {"mean", "max"}, default="mean"
        The global pooling of the attention output and of the keys.
    max_padding : float, default=0.1
        The self-attention runs on groups of bags of similar length (see
        :func:`length_groups`), so at most this fraction of its slots is
        padding; 1.0 runs it on the whole batch at once.  The result does
        not depend on it (padding is masked), only the cost does.
    convolution : {"frame", "segment"}, default="frame"
        How the segment encoder convolves (see :class:`SegmentEncoder`).
    window_frames : int, default=50
        Frames per segment.
    stride_frames : int or None, default=None
        Frames between segment starts (None: ``window_frames``).
    attention : {"dot", "scaled_dot"}, default="dot"
        Attention scores ``BT . key`` (the paper's ``Attention(Key, BT)``), or
        divided by ``sqrt(hf_dim)`` as in transformers; queries and keys are
        tanh outputs here, so the division leaves the attention near uniform.
    """

    #: Train on the CPU with :func:`~sklearn_maec.model._gru.bidirectional_gru` (the function
    #: of ``self.gru``, faster to train there); False: ``nn.GRU`` over packed sequences.
    #: Evaluation, other devices and exports always use ``nn.GRU``.
    fast_gru = True

    def __init__(self, n_lld, hf_dim, channels=64, kernel_size=3, dilation=2, dropout=0.0,
                 pooling="mean", max_padding=0.1, convolution="frame", window_frames=50,
                 stride_frames=None, attention="dot"):
        super().__init__()
        self.max_padding = max_padding
        check_option("attention", attention, ATTENTIONS)
        #: Factor of the attention scores ``BT . key``.
        self.score_scale = 1.0 if attention == "dot" else 1.0 / math.sqrt(hf_dim)
        if hf_dim % 2:
            raise ValueError(f"hf_dim must be even (a bidirectional GRU), got {hf_dim}")
        check_option("pooling", pooling, POOLINGS)
        self.hf_dim = hf_dim
        self.pooling = pooling
        self.segment = SegmentEncoder(n_lld, channels, hf_dim, kernel_size, dilation, dropout,
                                      convolution, window_frames, stride_frames)
        self.gru = nn.GRU(channels, hf_dim // 2, batch_first=True, bidirectional=True)

    def forward(self, frames, frame_valid, segment_starts, segment_frames, bag_lengths,
                return_attention=False):
        """Encode bags given in the frame layout of :func:`sklearn_maec._batching.pack_bags`.

        Parameters
        ----------
        frames : Tensor of shape (T, L)
            Every bag's frames, bag after bag, with zero gaps around each.
        frame_valid : BoolTensor of shape (T,)
            False on the gaps.
        segment_starts : LongTensor of shape (N,)
            The first frame of every bag's segments, bag after bag.
        segment_frames : LongTensor of shape (N,)
            True frames in each segment.
        bag_lengths : LongTensor of shape (U,)
            Segments in each bag (0 for an empty bag, whose ``HF`` is zero).
        return_attention : bool, default=False
            Also return each segment's attention weight.

        Returns
        -------
        hf : Tensor of shape (U, hf_dim)
        attention : Tensor of shape (U, S_max), only when ``return_attention``
            How much attention each segment receives, averaged over the
            queries; sums to 1 over a bag's segments (0 for empty bags).
        """
        U = bag_lengths.shape[0]
        S = max(int(bag_lengths.max()) if U else 0, 1)
        mask = torch.arange(S, device=bag_lengths.device)[None, :] < bag_lengths[:, None]
        channels = self.segment.conv2.out_channels
        H = frames.new_zeros(U, S, channels)
        BT = frames.new_zeros(U, S, self.hf_dim)
        if segment_starts.shape[0]:
            h, bt = self.segment(frames, frame_valid, segment_starts, segment_frames)
            # segment i of bag u is row u * S + i of the padded bags (segments come bag after bag)
            slots = mask.view(-1).nonzero().squeeze(1)
            H = H.view(U * S, channels).index_copy(0, slots, h).view(U, S, channels)
            BT = BT.view(U * S, self.hf_dim).index_copy(0, slots, bt).view(U, S, self.hf_dim)

        key = self._keys(H, bag_lengths.clamp(min=1).cpu())  # (U, S, hf_dim)
        key = key * mask.unsqueeze(-1).to(key.dtype)

        # self-attention per group of similar lengths: (S_q, S_k) scores cost S^2 per bag
        if self.max_padding >= 1 or U <= 1:
            groups = [None]
        else:
            groups = [torch.as_tensor(g, device=key.device)
                      for g in length_groups(bag_lengths.cpu().numpy(), self.max_padding)]
        hf = key.new_empty(U, self.hf_dim)
        received = key.new_zeros(U, S) if return_attention else None
        for g in groups:
            if g is None:
                hf_g, received_g = self._attend(BT, key, mask, return_attention)
                hf = hf_g
                if return_attention:
                    received = received_g
                continue
            width = max(int(bag_lengths[g[0]]), 1)  # groups are sorted longest first
            hf_g, received_g = self._attend(BT[g, :width], key[g, :width], mask[g, :width],
                                            return_attention)
            hf = hf.index_copy(0, g, hf_g)
            if return_attention:
                received[g, :width] = received_g
        if not return_attention:
            return hf
        return hf, received

    def _keys(self, H, lengths):
        """The BiGRU's outputs over the padded bags ``H`` (zero past each length)."""
        if (self.fast_gru and self.training and torch.is_grad_enabled() and H.device.type == "cpu"
                and not torch.jit.is_tracing() and not _compiling()):
            return bidirectional_gru(self.gru, H, lengths)
        packed = pack_padded_sequence(H, lengths, batch_first=True, enforce_sorted=False)
        key, _ = self.gru(packed)
        key, _ = pad_packed_sequence(key, batch_first=True, total_length=H.shape[1])
        return key

    def _attend(self, BT, key, mask, return_attention):
        """Scaled dot-product self-attention of padded bags, pooled into ``HF``."""
        hf, weights = attention_pool(BT, key, mask, self.pooling == "max", self.score_scale)
        if not return_attention:
            return hf, None
        # attention each segment (key) receives, averaged over the real queries
        received = (weights * mask.unsqueeze(-1).to(weights.dtype)).sum(dim=1)
        n = mask.sum(dim=1).clamp(min=1).unsqueeze(-1).to(weights.dtype)
        return hf, received / n


def attention_pool(BT: torch.Tensor, key: torch.Tensor, mask: torch.Tensor,
                   max_pooling: bool, score_scale: float):
    """``HF = pool(Attention(BT, key)) * pool(key)`` of padded bags, and the attention weights.

    Parameters
    ----------
    BT : Tensor of shape (U, S, D)
        The queries (bottleneck outputs).
    key : Tensor of shape (U, S, D)
        The keys (BiGRU outputs), zero on padding.
    mask : BoolTensor of shape (U, S)
        The real segments.
    max_pooling : bool
        Global max pooling instead of the mean.
    score_scale : float
        Factor of the scores ``BT . key`` before the softmax.

    Returns
    -------
    hf : Tensor of shape (U, D)
    weights : Tensor of shape (U, S, S)
        Each query's attention over the keys (0 for an empty bag).
    """
    scores = torch.bmm(BT, key.transpose(1, 2)) * score_scale  # (U, S_q, S_k)
    scores = scores.masked_fill(~mask.unsqueeze(1), float("-inf"))
    weights = torch.softmax(scores, dim=-1)
    # an empty bag has no key to attend to: weight 0 (the softmax of -inf only is NaN)
    weights = torch.where(mask.any(dim=1)[:, None, None], weights, torch.zeros_like(weights))
    A = torch.bmm(weights, key)
    if max_pooling:
        return _masked_max(A, mask) * _masked_max(key, mask), weights
    return _masked_mean(A, mask, 1) * _masked_mean(key, mask, 1), weights


def _compiling():
    """Whether torch.compile / torch.export is tracing (False on torch < 2.3, which cannot say)."""
    is_compiling = getattr(torch.compiler, "is_compiling", None)
    return bool(is_compiling()) if is_compiling is not None else False


def _gather(hf: torch.Tensor, index: torch.Tensor) -> torch.Tensor:
    """Rows of ``hf`` at ``index`` (a zero row where index is -1: no such turn)."""
    out = hf[index.clamp(min=0)]
    return out * (index >= 0).unsqueeze(-1).to(hf.dtype)


#: How the three encoded turns become ``Z``: the paper's form, or the released code's.
FUSIONS = ("paper", "released")


def _fuse(hf_cur: torch.Tensor, hf_pre: torch.Tensor, hf_int: torch.Tensor,
          append_context: bool) -> torch.Tensor:
    """``Z`` from the encoded turns: ``concat(HF_cur * PI, HF_cur)`` (+ ``HF_pre, HF_int``)."""
    pi = torch.softmax(hf_pre * hf_int, dim=-1)
    if append_context:
        return torch.cat([hf_cur * pi, hf_cur, hf_pre, hf_int], dim=-1)
    return torch.cat([hf_cur * pi, hf_cur], dim=-1)


def _latent_form(use_context, fusion):
    """``(blocks of HF in Z, the form of Z)`` for an architecture."""
    if not use_context:
        return 1, "Z = HF_cur"
    if fusion == "released":
        return 4, "Z = concat(HF_cur * PI, HF_cur, HF_pre, HF_int)"
    return 2, "Z = concat(HF_cur * PI, HF_cur)"


#: How ``Z`` is normalised before the heads and the discriminator (None: the paper's raw code).
LATENT_NORMS = ("batch", None)


class LatentNorm(nn.Module):
    """Batch normalisation of the latent code (per unit, with a learned scale and shift).

    The paper's ``Z`` is a product of poolings of tanh outputs, far smaller than
    a ``N(0, 1)`` prior; normalised, it can match the prior and the adversarial
    game has two players.  A training batch of a single sample is normalised
    with the running statistics (a batch of one has no spread).

    Parameters
    ----------
    latent_dim : int
        Size of ``Z``.
    """

    def __init__(self, latent_dim):
        super().__init__()
        self.norm = nn.BatchNorm1d(latent_dim)

    def forward(self, z):
        """The normalised codes (same shape as ``z``)."""
        if self.training and z.shape[0] < 2:
            n = self.norm
            return nn.functional.batch_norm(z, n.running_mean, n.running_var, n.weight, n.bias,
                                            False, 0.0, n.eps)
        return self.norm(z)


class MAECNetwork(nn.Module):
    """Encoder (three bags -> latent code ``Z``) and the emotion and gender heads.

    Parameters
    ----------
    n_lld : int
        Descriptors per frame.
    n_classes : int
        Number of emotion classes.
    latent_dim : int, default=64
        Size of ``Z``.  With context ``Z = concat(HF_cur * PI, HF_cur)``, so
        ``HF`` has ``latent_dim / 2`` units (a multiple of 4 is needed); with
        ``fusion="released"`` ``latent_dim / 4`` (a multiple of 8); without
        context ``Z = HF_cur`` (a multiple of 2).
    use_context : bool, default=True
        Encode the previous and interlocutor turns and fuse them (the paper);
        False is the single-utterance ablation.
    share_encoder : bool, default=True
        One bag encoder applied to the three inputs (the paper); False gives
        each input its own encoder (the authors' released code).
    channels : int, default=64
        Convolution channels of the segment encoder.
    kernel_size : int, default=3
        Convolution kernel.
    dilation : int, default=2
        Dilation of the dilated convolution.
    dropout : float, default=0.1
        Dropout on segment vectors and on ``Z`` before the heads.
    pooling : {"mean", "max"}, default="mean"
        Global pooling in the bag encoder.
    n_genders : int, default=2
        Outputs of the gender head.
    fusion : {"paper", "released"}, default="paper"
        ``Z = concat(HF_cur * PI, HF_cur)`` with ``PI = softmax(HF_pre *
        HF_int)`` (the paper), or the released code's ``concat(HF_cur * PI,
        HF_cur, HF_pre, HF_int)``, which also hands the context turns' codes
        to the heads directly.
    convolution : {"frame", "segment"}, default="frame"
        How the segment encoder convolves (see :class:`SegmentEncoder`).
    window_frames : int, default=50
        Frames per segment.
    stride_frames : int or None, default=None
        Frames between segment starts (None: ``window_frames``).
    latent_norm : {"batch", None}, default="batch"
        ``"batch"``: ``Z`` is batch-normalised (:class:`LatentNorm`) before
        the heads and the discriminator; None: the paper's ``Z`` as it is.
    attention : {"dot", "scaled_dot"}, default="dot"
        The attention scores of the bag encoder (see :class:`BagEncoder`).
    """

    def __init__(self, n_lld, n_classes, latent_dim=64, use_context=True, share_encoder=True,
                 channels=64, kernel_size=3, dilation=2, dropout=0.1, pooling="mean",
                 n_genders=2, fusion="paper", convolution="frame", window_frames=50,
                 stride_frames=None, latent_norm="batch", attention="dot"):
        super().__init__()
        check_latent_dim(latent_dim, use_context, fusion)
        self.use_context = use_context
        self.share_encoder = share_encoder
        self.fusion = fusion
        self.latent_dim = latent_dim
        hf_dim = latent_dim // _latent_form(use_context, fusion)[0]
        kwargs = dict(n_lld=n_lld, hf_dim=hf_dim, channels=channels, kernel_size=kernel_size,
                      dilation=dilation, dropout=dropout, pooling=pooling,
                      convolution=convolution, window_frames=window_frames,
                      stride_frames=stride_frames, attention=attention)
        n_encoders = 3 if (use_context and not share_encoder) else 1
        self.encoders = nn.ModuleList([BagEncoder(**kwargs) for _ in range(n_encoders)])
        check_option("latent_norm", latent_norm, LATENT_NORMS)
        self.latent_norm = LatentNorm(latent_dim) if latent_norm == "batch" else None
        self.dropout = nn.Dropout(dropout)
        self.emotion_head = nn.Linear(latent_dim, n_classes)
        self.gender_head = nn.Linear(latent_dim, n_genders)

    def _encoder(self, role):
        return self.encoders[ROLES.index(role) if len(self.encoders) == 3 else 0]

    @property
    def frame_gap(self):
        """Zero frames the batch layout must leave between two bags' frames."""
        return self.encoders[0].segment.frame_gap

    def encode(self, frames, frame_valid, segment_starts, segment_frames, bag_lengths, current,
               previous=None, interlocutor=None, return_attention=False, normalise=True):
        """Latent codes ``Z`` of a batch (and the attention over the current bags if asked).

        A batch holds each distinct bag once (an utterance is often another
        one's previous or interlocutor turn); the three inputs index into them.

        Parameters
        ----------
        frames : Tensor of shape (T, L)
            The frames of every distinct bag, with zero gaps around each.
        frame_valid : BoolTensor of shape (T,)
            False on the gaps.
        segment_starts : LongTensor of shape (N,)
            The first frame of every segment, bag after bag.
        segment_frames : LongTensor of shape (N,)
            True frames per segment.
        bag_lengths : LongTensor of shape (U,)
            Segments per distinct bag.
        current, previous, interlocutor : LongTensor of shape (B,)
            For each sample, the distinct bag of its current utterance, its
            speaker's previous turn and its interlocutor's turn (-1: none, an
            empty bag).  The context is ignored when ``use_context`` is False.
        return_attention : bool, default=False
            Also return the attention over the current bags' segments.
        normalise : bool, default=True
            Apply the latent normalisation (:meth:`normalise`); False gives the
            code as the encoder and the fusion make it.

        Returns
        -------
        z : Tensor of shape (B, latent_dim)
        attention : Tensor of shape (B, S_max), only when ``return_attention``
        """
        cache = {}

        def encoded(role):
            # one pass over the distinct bags per encoder (a single one when shared)
            encoder = self._encoder(role)
            if id(encoder) not in cache:
                out = encoder(frames, frame_valid, segment_starts, segment_frames, bag_lengths,
                              return_attention=return_attention)
                cache[id(encoder)] = out if return_attention else (out, None)
            return cache[id(encoder)]

        hf_all, attention_all = encoded("current")
        hf_cur = _gather(hf_all, current)
        if self.use_context:
            hf_pre = _gather(encoded("previous")[0], previous)
            hf_int = _gather(encoded("interlocutor")[0], interlocutor)
            z = _fuse(hf_cur, hf_pre, hf_int, self.fusion == "released")
        else:
            z = hf_cur
        if normalise:
            z = self.normalise(z)
        if return_attention:
            return z, _gather(attention_all, current)
        return z

    def normalise(self, z):
        """The latent normalisation of codes ``z`` (``z`` itself when ``latent_norm`` is None).

        Parameters
        ----------
        z : Tensor of shape (B, latent_dim)
            Latent codes as :meth:`encode` gives them with ``normalise=False``.

        Returns
        -------
        z : Tensor of shape (B, latent_dim)
        """
        return z if self.latent_norm is None else self.latent_norm(z)

    def heads(self, z):
        """Emotion and gender logits from latent codes.

        Parameters
        ----------
        z : Tensor of shape (B, latent_dim)
            Latent codes, as :meth:`encode` returns them.

        Returns
        -------
        emotion_logits : Tensor of shape (B, n_classes)
        gender_logits : Tensor of shape (B, n_genders)
        """
        z = self.dropout(z)
        return self.emotion_head(z), self.gender_head(z)

    def forward(self, **batch):
        """Return ``(emotion_logits, gender_logits, z)`` for a batch.

        Parameters
        ----------
        **batch : dict of Tensor
            The keyword arguments of :meth:`encode` (``frames``,
            ``bag_lengths``, ``current``, ...), as tensors.

        Returns
        -------
        emotion_logits : Tensor of shape (B, n_classes)
        gender_logits : Tensor of shape (B, n_genders)
        z : Tensor of shape (B, latent_dim)
        """
        z = self.encode(**batch)
        emotion, gender = self.heads(z)
        return emotion, gender, z


def current_code(z, use_context, fusion="paper"):
    """The block of ``Z`` that is ``HF_cur``, the code of the current utterance alone.

    ``Z`` is laid out as :func:`_fuse` builds it: ``HF_cur`` itself without
    context, else its second block (``[HF_cur * PI, HF_cur, ...]``).
    """
    blocks, _ = _latent_form(use_context, fusion)
    size = z.shape[-1] // blocks
    start = 0 if blocks == 1 else size
    return z[..., start:start + size]


def check_latent_dim(latent_dim, use_context, fusion="paper"):
    """Raise a ValueError when ``latent_dim`` does not split as the architecture needs.

    Also when ``fusion`` is not one of :data:`FUSIONS`.
    """
    check_option("fusion", fusion, FUSIONS)
    blocks, form = _latent_form(use_context, fusion)
    multiple = 2 * blocks  # each HF comes out of a bidirectional GRU: even
    if not isinstance(latent_dim, int) or latent_dim < multiple or latent_dim % multiple:
        raise ValueError(
            f"latent_dim must be a positive multiple of {multiple} "
            f"{'with' if use_context else 'without'} context"
            + (f" and fusion={fusion!r}" if use_context else "")
            + f", got {latent_dim!r}: {form} and HF comes out of a bidirectional GRU"
        )


class Discriminator(nn.Module):
    """Two fully connected layers scoring "prior sample" (high) against "latent code" (low).

    Parameters
    ----------
    latent_dim : int
        Size of the codes.
    hidden : int, default=64
        Units of the hidden layer.
    n_conditions : int, default=0
        When > 0 the class is given as a one-hot vector of this size beside the
        code (the class-conditional mixture prior).
    """

    def __init__(self, latent_dim, hidden=64, n_conditions=0):
        super().__init__()
        self.n_conditions = n_conditions
        self.net = nn.Sequential(
            nn.Linear(latent_dim + n_conditions, hidden),
            nn.LeakyReLU(0.2),
            nn.Linear(hidden, 1),
        )

    def forward(self, z, labels=None):
        """Logit of "this is a prior sample" for each row of ``z``.

        Parameters
        ----------
        z : Tensor of shape (B, latent_dim)
            Prior samples or latent codes.
        labels : LongTensor of shape (B,) or None, default=None
            Class of each row; required when ``n_conditions > 0``, unused
            otherwise.

        Returns
        -------
        logit : Tensor of shape (B,)
        """
        if self.n_conditions:
            z = torch.cat([z, nn.functional.one_hot(labels, self.n_conditions).to(z.dtype)], -1)
        return self.net(z).squeeze(-1)
