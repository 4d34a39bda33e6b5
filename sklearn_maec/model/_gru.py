"""The bag encoder's bidirectional GRU for CPU training, with a hand-written backward.

``nn.GRU`` over packed sequences is exact but slow to train on a CPU when the
hidden state is small (16 units per direction here): each of the ~80
dependent steps of a batch is a handful of tiny kernels, and autograd records
and replays every one of them, so dispatch, not arithmetic, sets the cost.
:class:`BiGRUFunction` computes the same function with one autograd node:

* both directions run together, as a batch of two (one ``baddbmm`` per step);
* the input projections of every step, and in the backward pass every
  weight and input gradient, are one matrix product each, outside the loop;
* the backward pass carries the hidden-state gradient step by step with the
  gate derivatives precomputed for all steps at once (seven small kernels a
  step).

Sequences are right-padded and every step runs on all of them: a
sequence's outputs depend only on its earlier steps, so the steps past its
end (masked by the caller) never reach its real outputs, and their
gradients are zero.  The backward direction reads each sequence reversed
within its own length (:func:`within_length_reversal`), as
:mod:`sklearn_maec.model._inference` does for the export network.

The equations are ``nn.GRU``'s: ``r = s(W_ir x + b_ir + W_hr h + b_hr)``,
``z = s(W_iz x + b_iz + W_hz h + b_hz)``, ``n = tanh(W_in x + b_in + r *
(W_hn h + b_hn))``, ``h' = (1 - z) * n + z * h``; outputs and gradients equal
``nn.GRU``'s up to floating-point rounding (tests pin both).
"""

import torch

__all__ = ["BiGRUFunction", "bidirectional_gru", "within_length_reversal"]


def within_length_reversal(lengths: torch.Tensor, steps: torch.Tensor) -> torch.Tensor:
    """Index reversing each sequence within its own length (padding stays in place).

    Parameters
    ----------
    lengths : LongTensor of shape (U, 1)
        True length of each sequence.
    steps : LongTensor of shape (1, S)
        ``arange(S)``.

    Returns
    -------
    index : LongTensor of shape (U, S)
        ``lengths - 1 - t`` for ``t < lengths``, ``t`` after: gathering with it
        twice gives the sequence back.
    """
    return torch.where(steps < lengths, lengths - 1 - steps, steps)


class BiGRUFunction(torch.autograd.Function):
    """Both directions of a one-layer GRU over right-padded, time-major inputs.

    ``forward(X, W_ih, b_ih, W_hh, b_hh)`` with ``X`` of shape ``(2, T, B,
    input_size)`` (direction 0 the sequences, direction 1 each reversed within
    its length), the weights stacked per direction (``W_ih``: ``(2, 3h,
    input_size)``, ``b_ih``: ``(2, 3h)``, ``W_hh``: ``(2, 3h, h)``, ``b_hh``:
    ``(2, 3h)``, gates in ``nn.GRU``'s order r, z, n) returns the hidden states
    of shape ``(T, 2, B, h)`` (initial state zero).
    """

    @staticmethod
    def forward(ctx, X, W_ih, b_ih, W_hh, b_hh):
        D, T, B, _ = X.shape
        h3 = W_hh.shape[1]
        hd = h3 // 3
        # every step's input projection at once: (T, D, B, 3h)
        G = torch.baddbmm(b_ih.unsqueeze(1), X.reshape(D, T * B, -1), W_ih.transpose(1, 2))
        G = G.view(D, T, B, h3).transpose(0, 1)
        gi_rz, gi_n = G[..., :2 * hd].unbind(0), G[..., 2 * hd:].unbind(0)
        W_hhT = W_hh.transpose(1, 2)
        bias_hh = b_hh.unsqueeze(1).expand(D, B, h3)
        # kept for the backward pass: W_hh h + b_hh, the gates r|z, the candidate n, the states
        GH = X.new_empty(T, D, B, h3)
        RZ = X.new_empty(T, D, B, 2 * hd)
        N = X.new_empty(T, D, B, hd)
        Hs = X.new_empty(T + 1, D, B, hd)
        Hs[0] = 0
        gh, gh_rz, gh_n = GH.unbind(0), GH[..., :2 * hd].unbind(0), GH[..., 2 * hd:].unbind(0)
        rz, r, z = RZ.unbind(0), RZ[..., :hd].unbind(0), RZ[..., hd:].unbind(0)
        n, h = N.unbind(0), Hs.unbind(0)
        for t in range(T):
            torch.baddbmm(bias_hh, h[t], W_hhT, out=gh[t])
            torch.add(gi_rz[t], gh_rz[t], out=rz[t]).sigmoid_()
            torch.addcmul(gi_n[t], r[t], gh_n[t], out=n[t]).tanh_()
            torch.addcmul(n[t], z[t], h[t] - n[t], out=h[t + 1])
        ctx.save_for_backward(X, W_ih, W_hh, GH, RZ, N, Hs)
        return Hs[1:]

    @staticmethod
    def backward(ctx, grad_out):
        X, W_ih, W_hh, GH, RZ, N, Hs = ctx.saved_tensors
        D, T, B, C = X.shape
        h3 = W_hh.shape[1]
        hd = h3 // 3
        R, Z, H_prev = RZ[..., :hd], RZ[..., hd:], Hs[:-1]
        # the gate derivatives of every step, at once (h' = n + z (h - n))
        dn_factor = (1 - Z) * (1 - N * N)  # dh' -> d(pre-activation of n)
        dr_factor = GH[..., 2 * hd:] * R * (1 - R)  # d(pre n) -> d(pre r)
        dz_factor = (H_prev - N) * Z * (1 - Z)  # dh' -> d(pre z)
        DGH = X.new_empty(T, D, B, h3)  # gradients of W_hh h + b_hh
        DN = X.new_empty(T, D, B, hd)  # gradients of the pre-activation of n
        dgh, dn = DGH.unbind(0), DN.unbind(0)
        dgh_r, dgh_z, dgh_n = (DGH[..., :hd].unbind(0), DGH[..., hd:2 * hd].unbind(0),
                               DGH[..., 2 * hd:].unbind(0))
        fn, fr, fz = dn_factor.unbind(0), dr_factor.unbind(0), dz_factor.unbind(0)
        r, z, dh_out = R.unbind(0), Z.unbind(0), grad_out.unbind(0)
        carry = None
        for t in range(T - 1, -1, -1):
            g = dh_out[t] if carry is None else dh_out[t] + carry
            torch.mul(g, fn[t], out=dn[t])
            torch.mul(dn[t], fr[t], out=dgh_r[t])
            torch.mul(g, fz[t], out=dgh_z[t])
            torch.mul(dn[t], r[t], out=dgh_n[t])
            carry = torch.baddbmm(g * z[t], dgh[t], W_hh)
        # the input-side gradients differ from the hidden-side ones only in n
        DGI = torch.cat([DGH[..., :2 * hd], DN], dim=-1)
        DGI = DGI.transpose(0, 1).reshape(D, T * B, h3)
        DGH = DGH.transpose(0, 1).reshape(D, T * B, h3)
        H_prev = H_prev.transpose(0, 1).reshape(D, T * B, hd)
        grad_X = torch.bmm(DGI, W_ih).view(D, T, B, C)
        grad_W_ih = torch.bmm(DGI.transpose(1, 2), X.reshape(D, T * B, C))
        grad_W_hh = torch.bmm(DGH.transpose(1, 2), H_prev)
        return grad_X, grad_W_ih, DGI.sum(1), grad_W_hh, DGH.sum(1)


def bidirectional_gru(gru, H, lengths):
    """The outputs of a one-layer bidirectional ``nn.GRU`` over padded sequences.

    Parameters
    ----------
    gru : torch.nn.GRU
        ``batch_first``, bidirectional, one layer, with biases.
    H : Tensor of shape (U, S, input_size)
        The sequences, zero past each one's length.
    lengths : LongTensor of shape (U,)
        True lengths (>= 1), on the CPU.

    Returns
    -------
    out : Tensor of shape (U, S, 2 * hidden_size)
        Forward and backward outputs, zero past each sequence's length: what
        ``nn.GRU`` returns for the packed sequences, padded back.
    """
    U, S, C = H.shape
    T = int(lengths.max())
    steps = torch.arange(T, device=H.device)[None, :]
    lengths = lengths.to(H.device)[:, None]
    reverse = within_length_reversal(lengths, steps)
    H = H[:, :T]
    X = torch.stack([H, H.gather(1, reverse.unsqueeze(-1).expand(-1, -1, C))]).transpose(1, 2)
    weights = [torch.stack([getattr(gru, f"{name}_l0"), getattr(gru, f"{name}_l0_reverse")])
               for name in ("weight_ih", "bias_ih", "weight_hh", "bias_hh")]
    out = BiGRUFunction.apply(X.contiguous(), *weights)  # (T, 2, U, h)
    hd = out.shape[-1]
    forward = out[:, 0].transpose(0, 1)
    backward = out[:, 1].transpose(0, 1).gather(1, reverse.unsqueeze(-1).expand(-1, -1, hd))
    out = torch.cat([forward, backward], dim=-1) * (steps < lengths).unsqueeze(-1).to(H.dtype)
    return torch.nn.functional.pad(out, (0, 0, 0, S - T))
