"""The sequential, un-augmented loader over the training set that a per-epoch
clustering extracts features with, and the group ids of its samples."""
import copy
from typing import List, Optional

from mmengine.runner import Runner


def build_extraction_loader(train_dataloader: dict, pipeline: Optional[List[dict]] = None,
                            overrides: Optional[dict] = None, seed: Optional[int] = None,
                            owner: str = 'PerEpochClusteringHook'):
    """Build the extraction loader from the config's ``train_dataloader``.

    The train dataset (wrappers such as ``RepeatDataset`` unwrapped) with its
    ``pipeline`` replaced by ``pipeline`` (when given), any ``batch_sampler`` dropped,
    ``overrides`` applied and ``DefaultSampler(shuffle=False, round_up=False)``: every
    sample once, in ``sample_idx`` order over the ranks.

    Args:
        train_dataloader (dict): The config's ``train_dataloader``.
        pipeline (list[dict], optional): Extraction pipeline.
        overrides (dict, optional): Loader options to override (``batch_size``, ...).
        seed (int, optional): The run's seed (``Runner.build_dataloader``).
        owner (str): Name used in error messages (the hook's class).

    Returns:
        DataLoader: built by ``Runner.build_dataloader``.
    """
    if train_dataloader is None:
        raise KeyError(f'{owner} builds its loader from the config\'s `train_dataloader`, '
                       'which is missing')
    cfg = copy.deepcopy(dict(train_dataloader))
    dataset = cfg['dataset']
    if not isinstance(dataset, dict):
        raise TypeError(f'{owner}: train_dataloader.dataset must be a config dict to rebuild '
                        'it with the extraction pipeline')
    dataset = copy.deepcopy(dict(dataset))
    while 'pipeline' not in dataset and isinstance(dataset.get('dataset'), dict):
        dataset = copy.deepcopy(dict(dataset['dataset']))  # RepeatDataset & co: the real one
    if 'datasets' in dataset:
        raise TypeError(f'{owner}: ConcatDataset repeats sample_idx across its parts; '
                        'cluster a single dataset')
    if pipeline is not None:
        dataset['pipeline'] = copy.deepcopy(pipeline)
    cfg['dataset'] = dataset
    cfg.pop('batch_sampler', None)
    cfg.update(copy.deepcopy(overrides or {}))
    cfg['sampler'] = dict(type='DefaultSampler', shuffle=False, round_up=False)
    return Runner.build_dataloader(cfg, seed=seed)


def read_group_values(dataset, group_key: str, owner: str = 'PerEpochClusteringHook') -> List[int]:
    """The ``group_key`` value (e.g. the identity) of every sample, from ``get_data_info``.

    Args:
        dataset (BaseDataset): An mmengine dataset.
        group_key (str): ``data_info`` key of the groups.
        owner (str): Name used in error messages.

    Returns:
        list[int]: (N,) one value per sample, in ``sample_idx`` order.
    """
    get_info = getattr(dataset, 'get_data_info', None)
    if get_info is None:
        raise TypeError(f'{owner}: group_key needs an mmengine BaseDataset')
    values = []
    for i in range(len(dataset)):
        info = get_info(i)
        if group_key not in info:
            raise KeyError(f'{owner}: data_info of sample {i} has no {group_key!r} (group_key)')
        values.append(int(info[group_key]))
    return values
