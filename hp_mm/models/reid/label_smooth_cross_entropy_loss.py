"""Label-smoothed cross-entropy (Szegedy et al. 2016), the re-ID identity loss."""
import torch
import torch.nn as nn
import torch.nn.functional as F

from hp_mm.registry import MODELS


@MODELS.register_module()
class LabelSmoothCrossEntropyLoss(nn.Module):
    """Cross-entropy against smoothed one-hot targets (Luo et al. "Bag of Tricks"; ISP
    Sec. 3.4):

    ``L = -sum_i q_i log p_i`` with ``q_i = 1 - (N - 1) / N * eps`` for the true class
    and ``eps / N`` for the others (N classes), i.e. ``(1 - eps) * onehot + eps / N``:
    exactly ``torch.nn.functional.cross_entropy(label_smoothing=eps)``, averaged over
    the batch.

    Note:
        B: batch size. N: number of classes (identities).

    Args:
        epsilon (float): Smoothing ``eps`` (0.1; 0 = plain cross-entropy).
        loss_weight (float): Weight of the loss.
        loss_name (str): Name in the loss dict (starts with ``loss_``).
    """

    def __init__(self, epsilon: float = 0.1, loss_weight: float = 1.0,
                 loss_name: str = 'loss_cls') -> None:
        super().__init__()
        if not 0 <= epsilon < 1:
            raise ValueError(f'LabelSmoothCrossEntropyLoss: epsilon must be in [0, 1), got '
                             f'{epsilon}')
        self.epsilon = epsilon
        self.loss_weight = loss_weight
        self._loss_name = loss_name

    def forward(self, cls_score: torch.Tensor, label: torch.Tensor) -> torch.Tensor:
        """Args: cls_score (B, N) logits; label (B,) int64 in [0, N). Returns a scalar."""
        return self.loss_weight * F.cross_entropy(cls_score, label,
                                                  label_smoothing=self.epsilon)

    @property
    def loss_name(self) -> str:
        return self._loss_name
