"""Hand the dataset's metainfo to the model components that need it."""
from typing import Optional

from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from hp_mm.registry import HOOKS


@HOOKS.register_module()
class DatasetMetaHook(Hook):
    """Call ``set_dataset_meta(metainfo)`` on every submodule that has it.

    Model components that depend on the dataset's label set (e.g.
    :class:`hp_mm.models.losses.StructureSensitiveLoss`, which needs
    ``classes`` and ``joint_groups``) read it from the metainfo of the
    dataset actually used, rather than from a second copy in the config.

    - ``before_train``: the train dataloader's dataset metainfo.
    - ``before_val`` / ``before_test``: only in runs without training (e.g.
      ``tools/test.py``), the metainfo of the val / test dataset; during
      training the train metainfo set in ``before_train`` is kept.

    The model is unwrapped (``is_model_wrapper``) and the call is local, so
    the hook does the same thing on every rank, with no communication.

    Example:
        >>> custom_hooks = [dict(type='DatasetMetaHook')]
    """

    priority = 'NORMAL'

    def __init__(self) -> None:
        self._done = False

    @staticmethod
    def _apply(runner, metainfo: Optional[dict]) -> int:
        """Call ``set_dataset_meta`` on all submodules; return the count."""
        if metainfo is None:
            return 0
        model = runner.model
        if is_model_wrapper(model):
            model = model.module
        count = 0
        for module in model.modules():
            set_meta = getattr(module, 'set_dataset_meta', None)
            if callable(set_meta):
                set_meta(metainfo)
                count += 1
        return count

    @staticmethod
    def _metainfo(dataloader) -> Optional[dict]:
        dataset = getattr(dataloader, 'dataset', None)
        return getattr(dataset, 'metainfo', None)

    def before_train(self, runner) -> None:
        """Set the train dataset's metainfo on the model."""
        self._apply(runner, self._metainfo(runner.train_dataloader))
        self._done = True

    def before_val(self, runner) -> None:
        """Set the val dataset's metainfo if training did not set one."""
        if not self._done:
            self._apply(runner, self._metainfo(runner.val_dataloader))
            self._done = True

    def before_test(self, runner) -> None:
        """Set the test dataset's metainfo if training did not set one."""
        if not self._done:
            self._apply(runner, self._metainfo(runner.test_dataloader))
            self._done = True
