"""configs/qanet/detectors: plain mmdet configs; their datasets read MiniHumans' CIHP layout."""
import glob
import os.path as osp

import pytest
from mmengine.config import Config
from mmengine.registry import DefaultScope

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
CONFIGS = sorted(glob.glob(osp.join(ROOT, 'configs', 'qanet', 'detectors', '*.py')))


@pytest.mark.parametrize('path', CONFIGS, ids=[osp.basename(p) for p in CONFIGS])
def test_detector_config_builds_in_mmdet_scope(path):
    from mmdet.registry import MODELS
    cfg = Config.fromfile(path)
    assert cfg.default_scope == 'mmdet'
    assert cfg.model.bbox_head.num_classes == 1
    for loader in (cfg.train_dataloader, cfg.val_dataloader, cfg.test_dataloader):
        assert loader.dataset.type == 'CocoDataset'
        assert loader.dataset.metainfo['classes'] == ('person', )
    assert cfg.train_dataloader.dataset.ann_file == 'annotations/CIHP_train.json'
    assert cfg.val_dataloader.dataset.data_prefix.img == 'Validation/Images/'
    assert cfg.test_evaluator.ann_file.endswith('annotations/CIHP_val.json')
    with DefaultScope.overwrite_default_scope('mmdet'):
        model = MODELS.build(cfg.model)
    assert type(model).__name__ == 'FCOS'
    assert type(model.backbone).__module__.startswith('mmdet')  # not mmseg's ResNet


def test_minihumans_detector_reads_the_generated_layout(tmp_path):
    from mmdet.registry import DATASETS
    from hp_mm.minihumans import generate_dataset
    root = str(tmp_path / 'CIHP')
    generate_dataset('cihp', root, num_train=3, num_val=2, seed=1, workers=1, max_size=64,
                     progress=False)
    cfg = Config.fromfile(osp.join(ROOT, 'configs/qanet/detectors/fcos_r18_fpn_minihumans-cihp.py'))
    data_root = osp.join(root, 'instance-level_human_parsing') + '/'
    with DefaultScope.overwrite_default_scope('mmdet'):
        # longer side rescaled to 256 (x 0.8-1.2 in training)
        for loader, n, sides in ((cfg.train_dataloader, 3, (204, 308)),
                                 (cfg.val_dataloader, 2, (256, 256))):
            loader.dataset.data_root = data_root
            dataset = DATASETS.build(loader.dataset)
            assert len(dataset) == n
            item = dataset[0]
            assert osp.isfile(item['data_samples'].img_path)
            assert len(item['data_samples'].gt_instances) > 0
            assert sides[0] <= max(item['inputs'].shape[1:]) <= sides[1]
