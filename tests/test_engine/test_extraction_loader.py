"""build_extraction_loader: the real dataset under wrappers, the hook's pipeline, sequential
DefaultSampler without round-up, overrides; errors that name what to change."""
import pytest
from mmengine.dataset import BaseDataset
from mmengine.registry import init_default_scope

from hp_mm.engine.hooks.extraction_loader import build_extraction_loader, read_group_values
from hp_mm.registry import DATASETS


@DATASETS.register_module(force=True)
class _Seven(BaseDataset):
    def load_data_list(self):
        return [dict(pid=i // 3, x=i) for i in range(7)]


def test_loader_unwraps_and_is_sequential():
    init_default_scope('hp_mm')
    cfg = dict(batch_size=4, num_workers=0, sampler=dict(type='DefaultSampler', shuffle=True),
               batch_sampler=dict(type='AspectRatioBatchSampler'),
               dataset=dict(type='RepeatDataset', times=3,
                            dataset=dict(type='_Seven', pipeline=[dict(type='NotUsedHere')])))
    loader = build_extraction_loader(cfg, pipeline=[], overrides=dict(batch_size=2), seed=0)
    assert type(loader.dataset).__name__ == '_Seven' and len(loader.dataset) == 7
    assert (loader.sampler.shuffle, loader.sampler.round_up, loader.batch_size) == (False, False, 2)
    assert [x for b in loader for x in b['x']] == list(range(7))
    assert read_group_values(loader.dataset, 'pid') == [0, 0, 0, 1, 1, 1, 2]
    with pytest.raises(KeyError, match="data_info of sample 0 has no 'camid'"):
        read_group_values(loader.dataset, 'camid', owner='MyHook')


def test_errors_name_the_config_field():
    with pytest.raises(KeyError, match='`train_dataloader`'):
        build_extraction_loader(None)
    with pytest.raises(TypeError, match='ConcatDataset'):
        build_extraction_loader(dict(dataset=dict(type='ConcatDataset', datasets=[])))
    with pytest.raises(TypeError, match='must be a config dict'):
        build_extraction_loader(dict(dataset=_Seven(pipeline=[])))
