"""Keep sparse-code dictionaries in their constraint set (C²L eq. 3) after every step."""
from typing import Optional

from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from hp_mm.registry import HOOKS


@HOOKS.register_module()
class DictionaryProjectionHook(Hook):
    """Call ``project_dictionary()`` on every submodule that has it.

    After each optimiser step (``after_train_iter``; the step happens inside
    ``model.train_step``) and once before training, so every column ``d_j`` of a
    :class:`hp_mm.models.necks.SparseCodingFFN` dictionary satisfies ``|d_j| <= 1``
    (projected gradient descent on eq. 3's convex set). The call is local and the
    same on every rank (DDP keeps the parameters identical), so no communication.

    Example:
        >>> default_hooks = dict(dictionary_projection=dict(type='DictionaryProjectionHook'))
    """

    priority = 'NORMAL'

    @staticmethod
    def project(model) -> int:
        """Project every dictionary of ``model`` (unwrapped); return how many."""
        if is_model_wrapper(model):
            model = model.module
        count = 0
        for module in model.modules():
            fn = getattr(module, 'project_dictionary', None)
            if callable(fn):
                fn()
                count += 1
        return count

    def before_train(self, runner) -> None:
        """Start inside the constraint set."""
        self.project(runner.model)

    def after_train_iter(self, runner, batch_idx: int, data_batch: Optional[dict] = None,
                         outputs: Optional[dict] = None) -> None:
        """Project after the optimiser step of this iteration."""
        self.project(runner.model)
