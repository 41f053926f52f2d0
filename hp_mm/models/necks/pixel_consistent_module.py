"""C²L pixel consistent module (paper Sec. 3.3, eqs. 2-4): a transformer encoder layer
whose feed-forward network is a sparse code."""
from typing import Dict, Optional, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import BaseModule

from hp_mm.registry import MODELS


def ista_nonneg(x: torch.Tensor,
                dictionary: torch.Tensor,
                lam: float,
                num_steps: int = 3,
                step: Optional[float] = None) -> torch.Tensor:
    """Non-negative sparse codes by a few unrolled ISTA steps (differentiable).

    Approximately solves ``min_{a >= 0} 1/2 |x - D a|^2 + lam |a|_1`` (eq. 2 with the
    paper's ``a >= 0``) for every row of ``x``:
    ``a_0 = 0``, ``a_{t+1} = relu(a_t + eta * D^T (x - D a_t) - eta * lam)``, the
    proximal step of the L1 norm restricted to ``a >= 0`` (non-negative shrinkage), with
    ``eta = 1 / |D|_2^2`` (the Lipschitz constant of the smooth part) unless ``step``
    is given.

    Args:
        x (Tensor): Signals, shape (M, C).
        dictionary (Tensor): D, shape (C, k), one atom per column.
        lam (float): lambda.
        num_steps (int): Unrolled iterations. Defaults to 3.
        step (float, optional): eta. Defaults to None (``1 / sigma_max(D)^2``).

    Returns:
        Tensor: Codes ``a >= 0``, shape (M, k).
    """
    if step is None:
        lip = torch.linalg.matrix_norm(dictionary.detach().float(), ord=2) ** 2
        step = 1.0 / lip.clamp_min(1e-6).item()
    dt_x = x @ dictionary  # (M, k) = (D^T x)^T
    gram = dictionary.t() @ dictionary  # (k, k)
    codes = F.relu(step * (dt_x - lam))  # the first step from a_0 = 0
    for _ in range(num_steps - 1):
        codes = F.relu(codes + step * (dt_x - codes @ gram) - step * lam)
    return codes


@MODELS.register_module()
class SparseCodingFFN(BaseModule):
    """The sparse-code replacement of a transformer FFN (eqs. 2-4).

    ``forward(F)`` returns ``D a`` with ``a`` the non-negative sparse code of each token
    of F (:func:`ista_nonneg`) and the pixel consistent loss
    ``L_c = 1/2 |F - D a|^2 + lam |a|_1`` (eq. 4), averaged over tokens and divided by
    the channel number C (a rescaling of eq. 4 that keeps ``beta = 0.3`` meaningful for
    any C; the minimiser is unchanged).

    The dictionary D has one atom per column; the constraint set ``c`` of eq. 3
    (``|d_j| <= 1``) is kept by :meth:`project_dictionary`, which
    ``DictionaryProjectionHook`` calls after every optimiser step.

    Note on eq. 2/3: the paper writes ``x, D in R^{HW x ...}``; the codes here are per
    token (pixel) over channels, ``F_p ~ D a_p`` with ``D in R^{C x k}``, ``a_p in R^k``
    and ``k < C`` as the paper says, so the module works at any H, W.

    Args:
        embed_dims (int): C. Defaults to 128.
        num_atoms (int): k. Defaults to 64.
        lam (float): lambda of eq. 2/4. Defaults to 0.1.
        num_steps (int): Unrolled ISTA steps. Defaults to 3.
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(self,
                 embed_dims: int = 128,
                 num_atoms: int = 64,
                 lam: float = 0.1,
                 num_steps: int = 3,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.embed_dims = embed_dims
        self.num_atoms = num_atoms
        self.lam = lam
        self.num_steps = num_steps
        d = torch.randn(embed_dims, num_atoms)
        self.dictionary = nn.Parameter(d / d.norm(dim=0, keepdim=True))

    @torch.no_grad()
    def project_dictionary(self) -> None:
        """Project D onto eq. 3's set: every column rescaled to norm <= 1 (in place)."""
        norms = self.dictionary.norm(dim=0, keepdim=True)
        self.dictionary.div_(norms.clamp_min(1.0))

    def forward(self, x: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Sparse-code every token.

        Args:
            x (Tensor): Tokens F, shape (..., C).

        Returns:
            tuple: ``D a`` (shape (..., C)), the codes ``a`` (shape (..., k), >= 0) and
            the scalar loss ``L_c``.
        """
        flat = x.reshape(-1, x.shape[-1])
        codes = ista_nonneg(flat, self.dictionary, self.lam, self.num_steps)
        recon = codes @ self.dictionary.t()
        loss = (0.5 * (flat - recon).pow(2).sum(1) + self.lam * codes.abs().sum(1)).mean() \
            / self.embed_dims
        return recon.reshape(x.shape), codes.reshape(x.shape[:-1] + (self.num_atoms, )), loss


@MODELS.register_module()
class PixelConsistentModule(BaseModule):
    """S_sigma: one transformer encoder layer over the H*W positions (paper Sec. 3.3).

    ``F = LN(m + MHSA(m))`` (multi-head self-attention, no positional embedding), then
    ``out = LN(F + D a)`` with the sparse code of F (``ffn='sparse'``, eqs. 2-4; ``D a``
    joins the attention output by a residual connection) or ``out = LN(F + FFN(F))``
    with an ordinary two-layer FFN (``ffn='mlp'``, Table 1 row "Picm no sparse").

    Note:
        B: batch size. C: ``embed_dims``. H, W: feature map size.

    Args:
        embed_dims (int): C. Defaults to 128.
        num_heads (int): Attention heads. Defaults to 4.
        ffn (str): ``'sparse'`` or ``'mlp'``. Defaults to 'sparse'.
        num_atoms (int): k of the sparse code. Defaults to 64.
        lam (float): lambda of the sparse code. Defaults to 0.1.
        num_steps (int): ISTA steps. Defaults to 3.
        feedforward_channels (int): Hidden width of the ``'mlp'`` FFN. Defaults to 512.
        loss_weight (float): beta of eq. 8. Defaults to 0.3.
        loss_name (str): Name of ``beta * L_c`` in the loss dict. Defaults to
            'loss_sparse_code'.
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(self,
                 embed_dims: int = 128,
                 num_heads: int = 4,
                 ffn: str = 'sparse',
                 num_atoms: int = 64,
                 lam: float = 0.1,
                 num_steps: int = 3,
                 feedforward_channels: int = 512,
                 loss_weight: float = 0.3,
                 loss_name: str = 'loss_sparse_code',
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if ffn not in ('sparse', 'mlp'):
            raise ValueError(f"PixelConsistentModule: ffn must be 'sparse' or 'mlp', got {ffn!r}")
        self.ffn_type = ffn
        self.loss_weight = loss_weight
        self.loss_name = loss_name
        self.attn = nn.MultiheadAttention(embed_dims, num_heads, batch_first=True)
        self.norm1 = nn.LayerNorm(embed_dims)
        self.norm2 = nn.LayerNorm(embed_dims)
        if ffn == 'sparse':
            self.ffn = SparseCodingFFN(embed_dims, num_atoms, lam, num_steps)
        else:
            self.ffn = nn.Sequential(
                nn.Linear(embed_dims, feedforward_channels), nn.GELU(),
                nn.Linear(feedforward_channels, embed_dims))

    def forward(self, x: torch.Tensor) -> Tuple[torch.Tensor, Dict[str, torch.Tensor]]:
        """Refine a feature map.

        Args:
            x (Tensor): Features m, shape (B, C, H, W).

        Returns:
            tuple: The refined features (B, C, H, W) and a dict with ``codes``
            (B, H*W, k) and ``loss`` (scalar ``L_c``, unweighted) for ``ffn='sparse'``,
            empty for ``'mlp'``.
        """
        b, c, h, w = x.shape
        tokens = x.flatten(2).transpose(1, 2)  # (B, HW, C)
        attn, _ = self.attn(tokens, tokens, tokens, need_weights=False)
        feats = self.norm1(tokens + attn)
        aux = {}
        if self.ffn_type == 'sparse':
            out, codes, loss = self.ffn(feats)
            aux = dict(codes=codes, loss=loss)
        else:
            out = self.ffn(feats)
        out = self.norm2(feats + out)
        return out.transpose(1, 2).reshape(b, c, h, w), aux
