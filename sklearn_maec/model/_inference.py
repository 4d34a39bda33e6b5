"""The inference network in an export-friendly form (TorchScript and ONNX).

:class:`~sklearn_maec.model.nn.MAECNetwork` computes exactly what the estimator
needs, but some of its steps do not survive an export: the bag encoder packs
each batch's sequences for the GRU (``pack_padded_sequence``), sizes its
tensors from the data (``int(bag_lengths.max())``) and scatters segment
vectors with a boolean mask.  :class:`ExportNetwork` shares the trained
modules' weights and computes the same function with the bag layout given as
an input instead: the padded form of :func:`sklearn_maec._batching.pack_bags`
(``frames``, ``frame_valid``, ``segment_starts``, ``segment_frames``,
``bag_index``, ``current``, ``previous``, ``interlocutor``).

The bidirectional GRU runs on the padded layout: the forward direction is
unaffected by padding after a sequence's end, and the backward direction reads
each sequence reversed within its own length (a gather), which gives the
packed GRU's outputs on every real segment.  The outputs are the emotion
logits, their softmax and the latent codes ``Z`` (named by
``sklearn_maec.deployment._format.OUTPUT_NAMES``).
"""

import torch
from torch import nn

from ._gru import within_length_reversal
from .nn import _fuse, _gather, attention_pool

__all__ = ["ExportNetwork"]


def _unidirectional(gru, suffix):
    """A one-direction GRU holding one direction's weights of a bidirectional ``gru``."""
    out = nn.GRU(gru.input_size, gru.hidden_size, batch_first=True)
    with torch.no_grad():
        for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
            getattr(out, f"{name}_l0").copy_(getattr(gru, f"{name}_l0{suffix}"))
    return out.eval()


class ExportBagEncoder(nn.Module):
    """A trained :class:`~sklearn_maec.model.nn.BagEncoder` on the padded bag layout (inference).

    The segment encoder and the attention pooling are the trained encoder's
    own (shared modules and functions); only the bidirectional GRU runs on the
    padded layout instead of packed sequences.
    """

    def __init__(self, encoder):
        super().__init__()
        self.segment = encoder.segment
        self.gru_forward = _unidirectional(encoder.gru, "")
        self.gru_backward = _unidirectional(encoder.gru, "_reverse")
        self.max_pooling = encoder.pooling == "max"
        self.score_scale = encoder.score_scale

    def forward(self, frames, frame_valid, segment_starts, segment_frames, bag_index):
        """``HF`` of each distinct bag, shape (U, hf_dim)."""
        mask = bag_index >= 0  # (U, S)
        maskf = mask.to(frames.dtype).unsqueeze(-1)
        h, bt = self.segment(frames, frame_valid, segment_starts, segment_frames)
        index = bag_index.clamp(min=0)
        H = h[index] * maskf  # (U, S, C)
        BT = bt[index] * maskf
        lengths = mask.to(torch.int64).sum(dim=1, keepdim=True)  # (U, 1)
        steps = torch.arange(bag_index.shape[1], device=bag_index.device)[None, :]
        # each sequence reversed within its own length (the padding stays where it is)
        reverse = within_length_reversal(lengths, steps)  # (U, S)
        key_f, _ = self.gru_forward(H)
        rev_in = torch.gather(H, 1, reverse.unsqueeze(-1).expand(-1, -1, H.shape[2]))
        key_b, _ = self.gru_backward(rev_in)
        key_b = torch.gather(key_b, 1, reverse.unsqueeze(-1).expand(-1, -1, key_b.shape[2]))
        key = torch.cat([key_f, key_b], dim=-1) * maskf  # (U, S, hf_dim)
        hf, _ = attention_pool(BT, key, mask, self.max_pooling, self.score_scale)
        return hf


class ExportNetwork(nn.Module):
    """A trained :class:`~sklearn_maec.model.nn.MAECNetwork` for inference on the padded bag layout.

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
        # the latent normalisation at inference: the running statistics (an affine map)
        self.latent_norm = network.latent_norm.norm if network.latent_norm is not None \
            else nn.Identity()
        self.emotion_head = network.emotion_head
        self.eval()

    def forward(self, frames, frame_valid, segment_starts, segment_frames, bag_index, current,
                previous, interlocutor):
        """Emotion logits (B, n_classes), their softmax and the latent codes ``Z``."""
        layout = (frames, frame_valid, segment_starts, segment_frames, bag_index)
        hf_all = self.enc_current(*layout)
        hf_cur = _gather(hf_all, current)
        if self.use_context:
            if self.separate:
                hf_pre = _gather(self.enc_previous(*layout), previous)
                hf_int = _gather(self.enc_interlocutor(*layout), interlocutor)
            else:
                hf_pre = _gather(hf_all, previous)
                hf_int = _gather(hf_all, interlocutor)
            z = _fuse(hf_cur, hf_pre, hf_int, self.append_context)
        else:
            z = hf_cur
        z = self.latent_norm(z)
        logits = self.emotion_head(z)
        return logits, torch.softmax(logits.float(), dim=1), z
