"""bind_pseudo_label_loaders: finds LoadPseudoLabels under dataset wrappers and nested
transforms, binds the hook's stores, keeps an explicit other store_dir."""
from types import SimpleNamespace

from mmcv.transforms import Compose, RandomApply

from hp_mm.datasets.transforms.pseudo_labels import LoadPseudoLabels
from hp_mm.engine.hooks.pseudo_label_binding import (bind_pseudo_label_loaders,
                                                     find_pseudo_label_loaders)


def test_binds_nested_transforms_of_the_hook_stores_only(tmp_path):
    v1, v2 = LoadPseudoLabels(store='view1'), LoadPseudoLabels(store='view2')
    other = LoadPseudoLabels(store='parts')
    kept = LoadPseudoLabels(store='view1', store_dir='/elsewhere')
    pipeline = Compose([v1, RandomApply([v2], prob=0.5), other, kept])
    dataset = SimpleNamespace(dataset=SimpleNamespace(pipeline=pipeline))  # a wrapper
    assert find_pseudo_label_loaders(dataset) == [v1, v2, other, kept]
    bound = bind_pseudo_label_loaders(dataset, str(tmp_path), ('view1', 'view2'))
    assert bound == 2
    assert v1.path == str(tmp_path / 'view1.npy') and v2.path == str(tmp_path / 'view2.npy')
    assert other.store_dir is None and kept.store_dir == '/elsewhere'
    assert bind_pseudo_label_loaders(dataset, str(tmp_path), ('default', )) == 0
