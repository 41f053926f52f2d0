"""ISPClusteringHook end to end (tiny ISP model, tiny Market-layout set) and the pseudo-labels
following each sample's augmentation in the ISP training pipeline."""
import copy
import os.path as osp

import mmcv
import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.dataset import Compose
from mmengine.hooks import Hook
from mmengine.registry import init_default_scope
from mmengine.runner import Runner

import hp_mm  # noqa: F401
from hp_mm.datasets.transforms.pseudo_labels import LoadPseudoLabels
from hp_mm.engine.hooks import ISPClusteringHook
from hp_mm.registry import HOOKS, TASK_UTILS, TRANSFORMS
from hp_mm.structures.pseudo_label_store import PseudoLabelStore

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
ISP_CONFIG = osp.join(ROOT, 'configs', 'isp', 'isp_r18_minihumans.py')


@HOOKS.register_module(force=True)
class _RecordClusteringStats(Hook):
    """Runs after ISPClusteringHook in before_train_epoch and keeps the statistics of every
    clustering it made (``ISPClusteringHook.stats``, a new dict per clustering)."""
    priority = 'LOWEST'

    def __init__(self):
        self.records = []

    def before_train_epoch(self, runner):
        [hook] = [h for h in runner.hooks if isinstance(h, ISPClusteringHook)]
        if hook.stats and (not self.records or self.records[-1][1] is not hook.stats):
            self.records.append((runner.epoch, hook.stats))


def write_market(root, ids=(1, 2, 3), per_id=4, size=(64, 32)):
    """Random crops named as Market-1501's (pid_c<cam>s1_<frame>_01.jpg); 2 cameras per id."""
    rng = np.random.default_rng(0)
    d = osp.join(root, 'bounding_box_train')
    for pid in ids:
        for i in range(per_id):
            img = rng.integers(0, 256, size + (3, ), dtype=np.uint8)
            img[size[0] // 4:, size[1] // 4:-size[1] // 4] //= (pid + 1)  # a darker "person"
            mmcv.imwrite(img, osp.join(d, f'{pid:04d}_c{1 + i % 2}s1_{100 * pid + i:06d}_01.jpg'))
    for d in ('query', 'bounding_box_test'):
        mmcv.imwrite(rng.integers(0, 256, size + (3, ), dtype=np.uint8),
                     osp.join(root, d, '0009_c1s1_000001_01.jpg'))
    return root


def tiny_cfg(data_root, work_dir, max_epochs=2, interval=1, stop_epoch=None):
    cfg = Config.fromfile(ISP_CONFIG)
    cfg.work_dir = work_dir
    cfg.model.backbone.update(stem_channels=8, base_channels=8)
    cfg.model.neck.update(in_channels=[64], out_channels=16)
    cfg.model.part_head.num_classes = 4
    cfg.model.reid_head.num_classes = 3
    cfg.train_dataloader.update(
        batch_size=4, num_workers=0, persistent_workers=False,
        sampler=dict(type='IdentityBalancedSampler', num_identities=2, num_instances=2))
    cfg.train_dataloader.dataset.update(data_root=data_root, part_mask_prefix=None)
    hook = cfg.default_hooks.clustering
    hook.update(interval=interval, stop_epoch=stop_epoch, show_progress=False, chunk_size=5,
                dataloader=dict(batch_size=5, num_workers=0, persistent_workers=False))
    hook.pipeline = [t for t in hook.pipeline if t['type'] != 'LoadReIDPartMask']
    cfg.train_cfg.update(max_epochs=max_epochs, val_interval=100)
    for key in ('val_dataloader', 'val_cfg', 'val_evaluator', 'test_dataloader', 'test_cfg',
                'test_evaluator'):
        cfg.pop(key, None)
    cfg.default_hooks.logger.interval = 1
    cfg.default_hooks.checkpoint.interval = 100
    cfg.custom_hooks = list(cfg.get('custom_hooks') or []) + [dict(type='_RecordClusteringStats')]
    cfg.log_level = 'INFO'
    return cfg


def _hooks(runner):
    [hook] = [h for h in runner.hooks if isinstance(h, ISPClusteringHook)]
    [recorder] = [h for h in runner.hooks if isinstance(h, _RecordClusteringStats)]
    return hook, recorder.records


def test_hook_fires_on_schedule_and_writes_cascaded_labels(tmp_path):
    init_default_scope('hp_mm')
    data_root = write_market(str(tmp_path / 'market'))
    cfg = tiny_cfg(data_root, str(tmp_path / 'work'), max_epochs=3, interval=2)
    runner = Runner.from_cfg(cfg)
    runner.train()
    hook, records = _hooks(runner)
    assert [epoch for epoch, _ in records] == [0, 2]   # interval 2 over epochs 0..2
    for epoch, stats in records:
        assert stats['clustering/images'] == 12
        assert stats['clustering/time'] > 0 and stats['clustering/extract_time'] > 0
        parts = sum(stats[f'clustering/part{k}_ratio'] for k in (1, 2, 3))
        assert 0 < stats['clustering/foreground_ratio'] < 1
        assert parts == pytest.approx(stats['clustering/foreground_ratio'], abs=1e-9)
    # only the clustering before the first training step normalises with batch statistics
    assert records[0][1]['clustering/batch_stat_norms'] > 0
    assert records[1][1]['clustering/batch_stat_norms'] == 0
    assert 0 < runner.message_hub.get_info('clustering')['clustering/share'] < 1
    assert torch.isfinite(torch.tensor(runner.message_hub.get_scalar('train/loss_parsing').current()))
    # re-cluster with the trained model; the store holds exactly the cascaded clustering of
    # M_g of the whole, un-augmented images, per identity
    hook.interval = 1  # runner.epoch is 3 now: make it a clustering epoch
    runner.call_hook('before_train_epoch')
    store = PseudoLabelStore(hook.store_path(runner), mode='r')
    assert store.shape == (12, 32, 16)  # resized to the 128 x 64 input -> its 1/4 map
    model = runner.model
    model.eval()
    pipeline = Compose(copy.deepcopy(cfg.default_hooks.clustering.pipeline))
    dataset = hook.dataset
    packed = [pipeline(copy.deepcopy(dataset.get_data_info(i))) for i in range(len(dataset))]
    with torch.no_grad():
        data = model.data_preprocessor(dict(inputs=[p['inputs'] for p in packed],
                                            data_samples=[p['data_samples'] for p in packed]))
        feats = model.extract_clustering_feat(data['inputs'])
    ids = torch.tensor([dataset.get_data_info(i)['label'] for i in range(len(dataset))])
    expected = TASK_UTILS.build(dict(type='CascadedClustering', num_classes=4))(feats, ids)
    assert np.array_equal(np.asarray(store.array), expected.numpy().astype(np.uint8))
    assert set(np.unique(store.array).tolist()) <= {0, 1, 2, 3}
    # the logged shares are those of the stored labels
    labels = np.asarray(store.array)
    assert hook.stats['clustering/foreground_ratio'] == pytest.approx(float((labels > 0).mean()))
    for k in (1, 2, 3):
        assert hook.stats[f'clustering/part{k}_ratio'] == pytest.approx(float((labels == k).mean()))


def test_hook_checks_k_against_the_model(tmp_path):
    init_default_scope('hp_mm')
    data_root = write_market(str(tmp_path / 'market'))
    cfg = tiny_cfg(data_root, str(tmp_path / 'work'), max_epochs=1)
    cfg.default_hooks.clustering.num_classes = 6
    runner = Runner.from_cfg(cfg)
    with pytest.raises(ValueError, match='must agree'):
        runner.train()


def test_pseudo_labels_follow_the_augmentation(tmp_path):
    """The ISP training pipeline moves the store's map exactly as the image: upsampled to the
    crop, resized to the input, flipped, padded + cropped (padding ignored = 255), and erased
    rectangles become background (0)."""
    init_default_scope('hp_mm')
    cfg = Config.fromfile(ISP_CONFIG)
    h, w = 32, 16  # store maps at the 1/4 map of the 128 x 64 input
    planted = (np.arange(h)[:, None] // 8 + 1) * (np.arange(w)[None] < 10)  # 4 bands, left cols
    planted = planted.astype(np.uint8)
    store = PseudoLabelStore.create(str(tmp_path / 'default.npy'), 1, h, w)
    store.write(np.array([0]), planted[None])
    store.flush()
    pipeline = cfg.train_dataloader.dataset.pipeline
    assert pipeline[1]['type'] == 'LoadPseudoLabels' and pipeline[-1]['type'] == 'PackReIDInputs'
    img_path = str(tmp_path / '0001_c1s1_000001_01.png')
    mmcv.imwrite(np.full((128, 64, 3), 120, np.uint8), img_path)
    seen = set()
    for seed in range(12):
        np.random.seed(seed)
        steps = Compose(copy.deepcopy(pipeline[:-1]))
        for t in steps.transforms:
            if isinstance(t, LoadPseudoLabels):
                t.bind(str(tmp_path))
        res = steps(dict(img_path=img_path, sample_idx=0, label=0, pid=1, camid=0, split='train'))
        got = res['gt_pseudo_seg']
        # by hand: nearest x4 to the loaded 128 x 64 image (already the input size), flip,
        # pad 5 (255) + crop at the drawn offset, erased rectangle -> 0
        exp = planted.repeat(4, 0).repeat(4, 1)
        if res['flip']:
            exp = exp[:, ::-1]
        dy, dx = res['crop_offset']
        exp = np.pad(exp, 5, constant_values=255)[dy:dy + 128, dx:dx + 64].copy()
        if res['erased_box'] is not None:
            y, x, eh, ew = res['erased_box']
            exp[y:y + eh, x:x + ew] = 0
        assert got.shape == (128, 64)
        assert np.array_equal(got, exp), seed
        packed = TRANSFORMS.build(pipeline[-1])(res)
        assert np.array_equal(packed['data_samples'].gt_pseudo_seg.data[0].numpy(), got)
        seen.add((bool(res['flip']), tuple(res['crop_offset']) != (5, 5),
                  res['erased_box'] is not None))
    assert {f for f, _, _ in seen} == {True, False}  # both flipped and unflipped samples
    assert any(e for _, _, e in seen) and any(c for _, c, _ in seen)


def test_first_clustering_uses_batch_statistics_without_updating_them():
    net = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 1), torch.nn.BatchNorm2d(4))
    net.eval()
    net[1].running_mean.fill_(1e6)  # stale statistics would saturate eval() features
    hook = ISPClusteringHook()
    hook._model = net
    x = torch.randn(6, 3, 5, 5)
    with torch.no_grad(), hook._batch_stat_norms(True) as n:
        y = net(x)
    assert n == 1
    z = net[0](x)
    ref = (z - z.mean((0, 2, 3), keepdim=True)) / torch.sqrt(
        z.var((0, 2, 3), unbiased=False, keepdim=True) + 1e-5)
    assert torch.allclose(y, ref, atol=1e-4)
    assert torch.all(net[1].running_mean == 1e6) and not net[1].training
    assert net[1].momentum == 0.1


def test_ground_truth_foreground_diagnostic(tmp_path):
    """``foreground='ground_truth'`` (a diagnostic upper bound): stage 1 is the true person
    mask that the extraction pipeline loads, so the pseudo-labels' foreground is the mask and
    the logged foreground IoU is 100; without the masks the hook says what to add."""
    init_default_scope('hp_mm')
    data_root = write_market(str(tmp_path / 'market'))
    for name in sorted(__import__('os').listdir(osp.join(data_root, 'bounding_box_train'))):
        mask = np.zeros((64, 32), np.uint8)
        mask[16:, 8:24] = 5  # the "person" of write_market, LIP upper-clothes
        mmcv.imwrite(mask, osp.join(data_root, 'hp_mm_part_masks', 'bounding_box_train',
                                    name.replace('.jpg', '.png')))
    cfg = tiny_cfg(data_root, str(tmp_path / 'work'), max_epochs=1)
    cfg.train_dataloader.dataset.part_mask_prefix = 'hp_mm_part_masks'
    hook_cfg = cfg.default_hooks.clustering
    hook_cfg.foreground = 'ground_truth'
    hook_cfg.pipeline.insert(1, dict(type='LoadReIDPartMask'))
    runner = Runner.from_cfg(cfg)
    runner.train()
    hook, records = _hooks(runner)
    store = np.asarray(PseudoLabelStore(hook.store_path(runner), mode='r').array)
    expected = np.zeros((32, 16), bool)
    expected[8:, 4:12] = True  # the mask at the 1/4 map of the 128 x 64 input
    assert np.array_equal(store > 0, np.broadcast_to(expected, store.shape))
    assert set(np.unique(store[:, expected]).tolist()) == {1, 2, 3}  # K - 1 = 3 parts
    [(epoch, stats)] = records
    assert epoch == 0 and stats['clustering/iou_foreground'] == 100.0
    assert stats['clustering/foreground_ratio'] == pytest.approx(float((store > 0).mean()))

    with pytest.raises(ValueError, match="'activation' or 'ground_truth'"):
        ISPClusteringHook(foreground='masks')
    cfg = tiny_cfg(data_root, str(tmp_path / 'work2'), max_epochs=1)
    cfg.default_hooks.clustering.foreground = 'ground_truth'
    runner = Runner.from_cfg(cfg)
    with pytest.raises(KeyError, match='LoadReIDPartMask'):
        runner.train()
