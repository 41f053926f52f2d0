"""GlobalReID: last stride 1, loss and predict modes, the label check."""
import pytest
import torch
from mmengine.registry import init_default_scope
from mmengine.structures import BaseDataElement

from hp_mm.registry import MODELS


def build():
    init_default_scope('hp_mm')
    return MODELS.build(dict(
        type='GlobalReID',
        data_preprocessor=dict(type='ImgDataPreprocessor', mean=[123.675, 116.28, 103.53],
                               std=[58.395, 57.12, 57.375], bgr_to_rgb=True),
        backbone=dict(type='ResNet', depth=18, stem_channels=8, base_channels=8,
                      strides=(1, 2, 2, 1), out_indices=(3, )),
        head=dict(type='BNNeckHead', in_channels=64, num_classes=3)))


def samples(labels):
    return [BaseDataElement(metainfo=dict(label=lab, img_path=f'{i}.jpg'))
            for i, lab in enumerate(labels)]


def test_loss_and_predict():
    model = build()
    model.init_weights()
    data = dict(inputs=[torch.randint(0, 255, (3, 64, 32), dtype=torch.uint8)
                        for _ in range(6)], data_samples=samples([0, 0, 1, 1, 2, 2]))
    data = model.data_preprocessor(data, training=True)
    # last stride 1: stem /4, then strides 1, 2, 2, 1 -> /16 in all
    assert model.extract_feat(data['inputs']).shape == (6, 64, 4, 2)
    losses = model(**data, mode='loss')
    assert set(losses) == {'loss_cls', 'loss_triplet', 'acc'}
    assert losses['loss_cls'].item() == pytest.approx(torch.log(torch.tensor(3.)).item(),
                                                      abs=0.1)
    model.eval()
    with torch.no_grad():
        out = model(**data, mode='predict')
        tensor = model(data['inputs'], mode='tensor')
    assert out[0].pred_feature.shape == (64, )
    torch.testing.assert_close(torch.stack([d.pred_feature for d in out]), tensor['bn_feat'])
    with pytest.raises(ValueError, match="contiguous `label`.*1.jpg has -1"):
        model(data['inputs'], samples([0, -1, 1, 1, 2, 2]), mode='loss')


@pytest.mark.parametrize('name,num_classes', [('baseline_r50_market1501', 751),
                                              ('baseline_r18_minihumans', 150)])
def test_baseline_configs_build(name, num_classes):
    """The configs/isp baselines (tests/test_configs.py expects a decode head)."""
    import os.path as osp

    from mmengine.config import Config
    root = osp.dirname(osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
    cfg = Config.fromfile(osp.join(root, 'configs', 'isp', f'{name}.py'))
    assert cfg.default_scope == 'hp_mm'
    init_default_scope('hp_mm')
    cfg.model.pretrained = None
    model = MODELS.build(cfg.model)
    assert model.head.num_classes == num_classes
    train, test = cfg.train_dataloader, cfg.test_dataloader
    sampler = train.sampler
    assert sampler.type == 'IdentityBalancedSampler'
    assert sampler.num_identities * sampler.num_instances == train.batch_size
    assert train.dataset.split == 'train' and test.dataset.split == 'test'
    assert cfg.test_evaluator.type == 'ReIDMetric'
