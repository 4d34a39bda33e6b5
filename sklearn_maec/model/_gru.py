"""The bag encoder's bidirectional GRU for CPU training, with a hand-written backward.

``nn.GRU`` over packed sequences is exact but slow to train on a CPU when the
hidden state is small (16 units per direction here): each of the ~80
dependent steps of a batch is a handful of tiny kernels, and autograd records
and replays every one of them, so dispatch, not arithmetic, sets the cost.
:class:`BiGRUFunction` computes the same function with one autograd node:

* both directions run together, as a batch of two;
* the input projections of every step, and in the backward pass every
  weight and input gradient, are one matrix product each, outside the loop;
* a forward step is five small kernels (the recurrent product, with the
  input projection as its bias, and the gates' nonlinearities); a backward
  step is two, the gate derivatives of all steps being computed at once;
* the inputs are gathered time-major, and the outputs back, in one indexing
  each.

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

    The backward pass carries the hidden-state gradient ``g = dL/dh'`` back
    in two kernels a step.  With ``h' = n + z (h - n)``, the gradients of
    ``W_hh h + b_hh`` are ``g * F`` (``F``: the derivatives of the gates r, z
    and n, for all steps at once) and ``dL/dh`` adds ``(g * F) @ W_hh`` and ``g
    * z``: one product with ``W_hh`` stacked on the identity.
    """

    @staticmethod
    def forward(ctx, X, W_ih, b_ih, W_hh, b_hh):
        D, T, B, _ = X.shape
        h3 = W_hh.shape[1]
        hd = h3 // 3
        # every step's input projection at once, b_hh of the gates r and z added: with
        # these as the bias of the step's product W_hh h, r and z need only their sigmoid
        P = torch.baddbmm(b_ih.unsqueeze(1), X.reshape(D, T * B, -1), W_ih.transpose(1, 2))
        P = P.view(D, T, B, h3).transpose(0, 1).contiguous()  # (T, D, B, 3h)
        gi_n = P[..., 2 * hd:].clone()
        P[..., :2 * hd] += b_hh[:, None, :2 * hd]
        P[..., 2 * hd:] = b_hh[:, None, 2 * hd:]
        W_hhT = W_hh.transpose(1, 2)
        # kept for the backward pass: the gates r|z and W_hh,n h + b_hh,n (in GH), the
        # candidate n, the states
        GH = P
        N = X.new_empty(T, D, B, hd)
        Hs = X.new_empty(T + 1, D, B, hd)
        Hs[0] = 0
        gh, rz, z = GH.unbind(0), GH[..., :2 * hd].unbind(0), GH[..., hd:2 * hd].unbind(0)
        r, gh_n, gi_n = GH[..., :hd].unbind(0), GH[..., 2 * hd:].unbind(0), gi_n.unbind(0)
        n, h = N.unbind(0), Hs.unbind(0)
        for t in range(T):
            gh[t].baddbmm_(h[t], W_hhT)
            rz[t].sigmoid_()
            torch.addcmul(gi_n[t], r[t], gh_n[t], out=n[t]).tanh_()
            torch.lerp(n[t], h[t], z[t], out=h[t + 1])  # (1 - z) n + z h
        ctx.save_for_backward(X, W_ih, W_hh, GH, N, Hs)
        return Hs[1:]

    @staticmethod
    def backward(ctx, grad_out):
        X, W_ih, W_hh, GH, N, Hs = ctx.saved_tensors
        D, T, B, C = X.shape
        h3 = W_hh.shape[1]
        hd = h3 // 3
        R, Z, H_prev = GH[..., :hd], GH[..., hd:2 * hd], Hs[:-1]
        # the gate derivatives of every step, at once: g * F[:3] are the gradients of
        # W_hh h + b_hh (gates r, z, n), with fn = (1 - z)(1 - n^2) the candidate's,
        # and dL/dh = (g * F) @ [W_hh; I] (F[3] = z: h' = n + z (h - n))
        fn = (1 - Z) * (1 - N * N)
        F = torch.stack([fn * GH[..., 2 * hd:] * R * (1 - R), (H_prev - N) * Z * (1 - Z),
                         fn * R, Z], dim=3)  # (T, D, B, 4, hd)
        W_ext = torch.cat([W_hh, torch.eye(hd, dtype=W_hh.dtype, device=W_hh.device)
                           .expand(D, hd, hd)], dim=1)  # (D, 4h, h)
        Gs = X.new_empty(grad_out.shape)  # dL/dh' of every step
        DG = torch.empty_like(F)
        g, dg, f, dh_out = Gs.unbind(0), DG.unbind(0), F.unbind(0), grad_out.unbind(0)
        Gs[T - 1] = grad_out[T - 1]
        for t in range(T - 1, -1, -1):
            torch.mul(f[t], g[t].unsqueeze(2), out=dg[t])
            if t:
                torch.baddbmm(dh_out[t - 1], dg[t].view(D, B, 4 * hd), W_ext, out=g[t - 1])
        DGH = DG[:, :, :, :3].reshape(T, D, B, h3)
        # the input-side gradients differ from the hidden-side ones only in n: g * fn
        DGI = torch.cat([DGH[..., :2 * hd], Gs * fn], dim=-1)
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
    reverse = within_length_reversal(lengths, steps)  # (U, T)
    # the inputs, time-major, in one indexing: row (u, t) of H, or (u, reverse[u, t])
    rows = torch.arange(U, device=H.device)[:, None] * S
    index = torch.stack([rows + steps, rows + reverse]).transpose(1, 2)  # (2, T, U)
    X = H.reshape(U * S, C)[index]
    weights = [torch.stack([getattr(gru, f"{name}_l0"), getattr(gru, f"{name}_l0_reverse")])
               for name in ("weight_ih", "bias_ih", "weight_hh", "bias_hh")]
    out = BiGRUFunction.apply(X, *weights)  # (T, 2, U, h)
    hd = out.shape[-1]
    # and back in one indexing: (u, t) takes step t of direction 0 and step reverse[u, t] of
    # direction 1, or the zero row appended last, past its length
    out = torch.nn.functional.pad(out.reshape(T * 2 * U, hd), (0, 0, 0, 1))
    at = torch.stack([steps.expand(U, T), reverse], dim=-1) * (2 * U) \
        + torch.arange(2, device=H.device) * U + torch.arange(U, device=H.device)[:, None, None]
    at = at.masked_fill((steps >= lengths).unsqueeze(-1), T * 2 * U)
    at = torch.nn.functional.pad(at, (0, 0, 0, S - T), value=T * 2 * U)  # (U, S, 2)
    return out[at].view(U, S, 2 * hd)
