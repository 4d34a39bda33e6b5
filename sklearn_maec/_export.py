"""The inference network in an export-friendly form (TorchScript and ONNX).

:class:`~sklearn_maec.nn.MAECNetwork` computes exactly what the estimator
needs, but some of its steps do not survive an export: the bag encoder packs
each batch's sequences for the GRU (``pack_padded_sequence``), sizes its
tensors from the data (``int(bag_lengths.max())``) and scatters segment
vectors with a boolean mask.  :class:`ExportNetwork` shares the trained
modules' weights and computes the same function with the bag layout given as
an input instead:

``segments`` (N, W, L) float32
    Every distinct bag's segments, concatenated (as in ``MAECNetwork.encode``).
``segment_frames`` (N,) int64
    True frames per segment (W, except the zero-padded single segment of an
    utterance shorter than one window).
``bag_index`` (U, S) int64
    Per distinct bag and slot, the row of ``segments`` holding that segment, -1
    for padding (an empty bag is a row of -1).
``current``, ``previous``, ``interlocutor`` (B,) int64
    Per sample, its distinct bags (-1: no such turn).

The bidirectional GRU runs on the padded layout: the forward direction is
unaffected by padding after a sequence's end, and the backward direction reads
each sequence reversed within its own length (a gather), which gives the
packed GRU's outputs on every real segment.  The outputs are the emotion
logits, their softmax and the latent codes ``Z``.
"""

import math

import torch
from torch import nn

from .nn import _fuse, _gather, _masked_max, _masked_mean

__all__ = ["ExportNetwork", "INPUT_NAMES", "OUTPUT_NAMES"]

INPUT_NAMES = ("segments", "segment_frames", "bag_index", "current", "previous", "interlocutor")
OUTPUT_NAMES = ("logits", "proba", "z")


def _unidirectional(gru, suffix):
    """A one-direction GRU holding one direction's weights of a bidirectional ``gru``."""
    out = nn.GRU(gru.input_size, gru.hidden_size, batch_first=True)
    with torch.no_grad():
        for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
            getattr(out, f"{name}_l0").copy_(getattr(gru, f"{name}_l0{suffix}"))
    return out.eval()


class ExportBagEncoder(nn.Module):
    """A trained :class:`~sklearn_maec.nn.BagEncoder` on the padded bag layout (inference only)."""

    def __init__(self, encoder):
        super().__init__()
        seg = encoder.segment
        self.conv1, self.conv2, self.dilated, self.shortcut = (
            seg.conv1, seg.conv2, seg.dilated, seg.shortcut)
        self.bottleneck = seg.bottleneck
        self.gru_forward = _unidirectional(encoder.gru, "")
        self.gru_backward = _unidirectional(encoder.gru, "_reverse")
        self.hf_dim = int(encoder.hf_dim)
        self.max_pooling = encoder.pooling == "max"

    def _pool(self, x, mask):
        if self.max_pooling:
            return _masked_max(x, mask)
        return _masked_mean(x, mask, 1)

    def _segments(self, x, n_valid_frames):
        """The segment encoder (SegmentEncoder.forward with the frame mask, dropout off)."""
        x = x.transpose(1, 2)  # (N, L, W)
        frame_mask = torch.arange(x.shape[2], device=x.device)[None, :] < n_valid_frames[:, None]
        pad = ~frame_mask.unsqueeze(1)
        x = x.masked_fill(pad, 0.0)
        y = torch.relu(self.conv1(x)).masked_fill(pad, 0.0)
        y = torch.relu(self.conv2(y)).masked_fill(pad, 0.0)
        y = self.dilated(y)
        y = torch.relu(y + self.shortcut(x)).transpose(1, 2)  # (N, W, C)
        h = _masked_mean(y, frame_mask, 1)
        return h, self.bottleneck(h)

    def forward(self, segments, segment_frames, bag_index):
        """``HF`` of each distinct bag, shape (U, hf_dim)."""
        mask = bag_index >= 0  # (U, S)
        maskf = mask.to(segments.dtype).unsqueeze(-1)
        h, bt = self._segments(segments, segment_frames)
        index = bag_index.clamp(min=0)
        H = h[index] * maskf  # (U, S, C)
        BT = bt[index] * maskf
        lengths = mask.to(torch.int64).sum(dim=1, keepdim=True)  # (U, 1)
        steps = torch.arange(bag_index.shape[1], device=bag_index.device)[None, :]
        # each sequence reversed within its own length (the padding stays where it is)
        reverse = torch.where(steps < lengths, lengths - 1 - steps, steps)  # (U, S)
        key_f, _ = self.gru_forward(H)
        rev_in = torch.gather(H, 1, reverse.unsqueeze(-1).expand(-1, -1, H.shape[2]))
        key_b, _ = self.gru_backward(rev_in)
        key_b = torch.gather(key_b, 1, reverse.unsqueeze(-1).expand(-1, -1, key_b.shape[2]))
        key = torch.cat([key_f, key_b], dim=-1) * maskf  # (U, S, hf_dim)

        scores = torch.bmm(BT, key.transpose(1, 2)) / math.sqrt(self.hf_dim)
        scores = scores.masked_fill(~mask.unsqueeze(1), float("-inf"))
        weights = torch.softmax(scores, dim=-1)
        # an empty bag has no key to attend to: weight 0 (the softmax of -inf only is NaN)
        weights = torch.where(mask.any(dim=1)[:, None, None], weights,
                              torch.zeros_like(weights))
        A = torch.bmm(weights, key)
        return self._pool(A, mask) * self._pool(key, mask)


class ExportNetwork(nn.Module):
    """A trained :class:`~sklearn_maec.nn.MAECNetwork` for inference on the padded bag layout.

    Parameters
    ----------
    network : MAECNetwork
        The trained network (its weights are shared, not copied, except the
        GRUs' which are split into their two directions).
    """

    def __init__(self, network):
        super().__init__()
        self.use_context = bool(network.use_context)
        self.append_context = network.fusion == "released"
        encoders = [ExportBagEncoder(e) for e in network.encoders]
        if len(encoders) == 1:
            encoders = encoders * 3
        self.enc_current, self.enc_previous, self.enc_interlocutor = encoders
        self.separate = len(network.encoders) == 3
        self.emotion_head = network.emotion_head
        self.eval()

    def forward(self, segments, segment_frames, bag_index, current, previous, interlocutor):
        """Emotion logits (B, n_classes), their softmax and the latent codes ``Z``."""
        hf_all = self.enc_current(segments, segment_frames, bag_index)
        hf_cur = _gather(hf_all, current)
        if self.use_context:
            if self.separate:
                hf_pre = _gather(self.enc_previous(segments, segment_frames, bag_index), previous)
                hf_int = _gather(self.enc_interlocutor(segments, segment_frames, bag_index),
                                 interlocutor)
            else:
                hf_pre = _gather(hf_all, previous)
                hf_int = _gather(hf_all, interlocutor)
            z = _fuse(hf_cur, hf_pre, hf_int, self.append_context)
        else:
            z = hf_cur
        logits = self.emotion_head(z)
        return logits, torch.softmax(logits.float(), dim=1), z
