"""C2LClusteringHook on a real Runner: a tiny C2L on 6 MiniHumans-ATR images, 2 epochs, loader
workers persistent (the views' epoch must reach them through shared memory)."""
import hashlib
import os.path as osp

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.hooks import Hook
from mmengine.runner import Runner

from hp_mm.engine.hooks import C2LClusteringHook
from hp_mm.registry import HOOKS
from hp_mm.structures import PseudoLabelStore

CROP = (32, 32)


def _digest(t):
    return hashlib.sha1(t.contiguous().numpy().tobytes()).hexdigest()


@HOOKS.register_module(force=True)
class _RecordingC2LHook(C2LClusteringHook):
    """Records, per clustering, the packed two-view input of every sample it extracts."""
    seen = {}

    def cluster(self, runner):
        self._epoch_seen = type(self).seen.setdefault(runner.epoch, {})
        super().cluster(runner)

    def extract(self, model, data_batch):
        for x, s in zip(data_batch['inputs'], data_batch['data_samples']):
            self._epoch_seen[s.sample_idx] = (_digest(x), s.view_crop, s.view_epoch)
        return super().extract(model, data_batch)


@HOOKS.register_module(force=True)
class _RecordTrainInputs(Hook):
    """Records every training sample's input and checks its pseudo-labels against the store."""
    seen = {}

    def before_train_iter(self, runner, batch_idx, data_batch=None):
        epoch_seen = type(self).seen.setdefault(runner.epoch, {})
        for x, s in zip(data_batch['inputs'], data_batch['data_samples']):
            epoch_seen[s.sample_idx] = (_digest(x), s.view_crop, s.view_epoch)
            for v in (1, 2):
                store = PseudoLabelStore(osp.join(runner.work_dir, 'pseudo_labels',
                                                  f'view{v}.npy'), mode='r')
                assert np.array_equal(s.gt_pseudo_seg.data[v - 1].numpy(),
                                      store.read(s.sample_idx))


@pytest.fixture(scope='module')
def atr_root(tmp_path_factory):
    from hp_mm.minihumans import generate_dataset
    root = str(tmp_path_factory.mktemp('minihumans') / 'ATR')
    generate_dataset('atr', root, num_train=6, num_val=2, seed=5, workers=1, max_size=48)
    return osp.join(root, 'humanparsing')


def _cfg(work_dir, data_root):
    base = Config.fromfile(osp.join(osp.dirname(__file__), '..', '..', 'configs', 'c2l',
                                    'c2l_fpn-r18_minihumans-atr-3class.py'))
    two_view = base.two_view
    load = [dict(type='LoadParsingImageFromFile'),
            dict(type='Resize', scale=CROP, keep_ratio=False), two_view]
    pseudo = [dict(type='LoadPseudoLabels', store=f'view{v}', key=f'gt_pseudo_seg_{v}',
                   resize_to_img=False) for v in (1, 2)]
    model = base.model
    model.backbone.update(stem_channels=8, base_channels=8)
    model.neck.update(in_channels=[8, 16, 32, 64], out_channels=16)
    model.decode_head.channels = 16
    model.part_head.update(in_channels=16, part_channels=4)
    model.pixel_module.update(embed_dims=16, num_heads=2, num_atoms=8)
    dataset = dict(type='ATRMergedDataset', data_root=data_root, ann_file='list/train_id.txt',
                   data_prefix=dict(img_path='JPEGImages', seg_map_path='SegmentationClassAug'),
                   pipeline=load + pseudo + [dict(type='PackTwoViewInputs')])
    return Config(dict(
        model=model,
        work_dir=str(work_dir),
        default_scope='hp_mm',
        train_dataloader=dict(batch_size=3, num_workers=1, persistent_workers=True,
                              sampler=dict(type='DefaultSampler', shuffle=True),
                              dataset=dataset),
        train_cfg=dict(type='EpochBasedTrainLoop', max_epochs=2),
        optim_wrapper=dict(optimizer=dict(type='Adam', lr=1e-3)),
        custom_hooks=[
            dict(type='_RecordingC2LHook', pipeline=load + [dict(type='PackTwoViewInputs')],
                 buffer_size=4, dataloader=dict(batch_size=2, num_workers=1,
                                                persistent_workers=True),
                 kmeans=dict(type='MiniBatchKMeans', kmeans=dict(type='TorchKMeans')),
                 show_progress=False),
            dict(type='DictionaryProjectionHook'),
            dict(type='_RecordTrainInputs'),
        ],
        default_hooks=dict(logger=dict(type='LoggerHook', interval=1)),
        randomness=dict(seed=3)))


def test_same_views_in_clustering_and_training_new_views_next_epoch(tmp_path, atr_root):
    _RecordingC2LHook.seen.clear()
    _RecordTrainInputs.seen.clear()
    runner = Runner.from_cfg(_cfg(tmp_path, atr_root))
    runner.train()
    clustered, trained = _RecordingC2LHook.seen, _RecordTrainInputs.seen
    assert sorted(clustered) == sorted(trained) == [0, 1]
    for epoch in (0, 1):
        assert sorted(clustered[epoch]) == sorted(trained[epoch]) == list(range(6))
        for i in range(6):
            assert trained[epoch][i] == clustered[epoch][i]  # same pixels, same G
            assert trained[epoch][i][2] == epoch
    for i in range(6):
        assert clustered[1][i][0] != clustered[0][i][0]
        assert clustered[1][i][1] != clustered[0][i][1]
    # the centroids and frequency weights are model buffers, the labels are at 1/4 resolution
    head = runner.model.decode_head
    assert int(head.num_updates) == 4 and head.centroids.abs().sum() > 0
    assert torch.allclose(head.cluster_weight.sum(1), torch.ones(2))
    store = PseudoLabelStore(osp.join(tmp_path, 'pseudo_labels', 'view1.npy'), mode='r')
    assert store.shape == (6, CROP[0] // 4, CROP[1] // 4) and int(np.max(store.array)) < 3
    d = runner.model.pixel_module.ffn.dictionary
    assert (d.norm(dim=0) <= 1 + 1e-6).all()
    hook = next(h for h in runner.hooks if isinstance(h, C2LClusteringHook))
    assert hook.extra_state() == dict(view_epoch=1)
