"""PerEpochClusteringHook: a toy ISP/C2L-like subclass run by a real Runner
(EpochBasedTrainLoop): firing epochs, log keys, resume, 2 gloo ranks == 1 rank.

The toy classes are registered (force=True) because a Config holding class objects
cannot be printed by mmengine."""
import os
import os.path as osp
import shutil
import uuid

import numpy as np
import pytest
import torch
import torch.distributed as dist
import torch.nn as nn
import torch.nn.functional as F
from mmcv.transforms import BaseTransform
from mmengine.config import Config
from mmengine.dataset import BaseDataset
from mmengine.model import BaseModel
from mmengine.runner import Runner
from mmengine.structures import PixelData
from mmengine.visualization.vis_backend import BaseVisBackend
from mmseg.structures import SegDataSample

from conftest import free_port
from hp_mm.engine.hooks import PerEpochClusteringHook
from hp_mm.models.task_modules import BatchedKMeans, pack_groups, unpack_groups
from hp_mm.registry import DATASETS, HOOKS, MODELS, TASK_UTILS, TRANSFORMS, VISBACKENDS
from hp_mm.structures import PseudoLabelStore

H, W, PARTS = 8, 4, 3
PART_COLORS = torch.tensor([[3., 0., 0.], [0., 3., 0.], [0., 0., 3.]])


@DATASETS.register_module(force=True)
class ToyParts(BaseDataset):
    """``num_samples`` 8 x 4 RGB images of 3 horizontal parts (rows 0-2, 3-5, 6-7);
    identity ``pid = i // 3`` shifts the part colours a little."""
    METAINFO = dict(classes=('p0', 'p1', 'p2'))

    def __init__(self, num_samples=11, **kwargs):
        self.num_samples = num_samples
        super().__init__(**kwargs)

    def load_data_list(self):
        part = torch.tensor([0, 0, 0, 1, 1, 1, 2, 2])
        out = []
        for i in range(self.num_samples):
            g = torch.Generator().manual_seed(i)
            img = PART_COLORS[part][:, None, :].expand(H, W, 3) + 0.2 * (i // 3) + \
                0.1 * torch.randn(H, W, 3, generator=g)
            out.append(dict(img=img.numpy().astype(np.float32), pid=i // 3))
        return out


@TRANSFORMS.register_module(force=True)
class ToyPack(BaseTransform):
    """HWC float image -> (3, H, W) tensor; data sample with sample_idx (+ labels)."""

    def transform(self, results):
        sample = SegDataSample(metainfo=dict(sample_idx=results['sample_idx']))
        if 'gt_pseudo_seg' in results:
            sample.gt_sem_seg = PixelData(
                data=torch.from_numpy(results['gt_pseudo_seg'].astype(np.int64))[None])
        return dict(inputs=torch.from_numpy(results['img'].transpose(2, 0, 1).copy()),
                    data_samples=sample)


@MODELS.register_module(force=True)
class ToyModel(BaseModel):
    """1x1 conv (identity at init) = features and part logits; records the labels it trains on."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 3, 1)
        with torch.no_grad():
            self.conv.weight.copy_(torch.eye(3)[:, :, None, None])
            self.conv.bias.zero_()
        self.seen = []

    def extract_feat(self, inputs):
        return self.conv(torch.stack(inputs) if isinstance(inputs, (list, tuple)) else inputs)

    def forward(self, inputs, data_samples=None, mode='tensor'):
        logits = self.extract_feat(inputs)
        if mode != 'loss':
            return logits
        labels = torch.stack([s.gt_sem_seg.data[0] for s in data_samples])
        for s, lab in zip(data_samples, labels):
            self.seen.append((int(s.metainfo['sample_idx']), lab.clone()))
        return dict(loss=F.cross_entropy(logits, labels, ignore_index=255))


@HOOKS.register_module(force=True)
class ToyClusteringHook(PerEpochClusteringHook):
    """ISP-like store 'parts' (per-identity BatchedKMeans over iter_groups, sharded) and a
    C2L-like store 'global' (MiniBatchKMeans over iter_buffers, then a local pass)."""
    stores = ('parts', 'global')

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.fired = []
        self.modes = set()
        self.bkm = BatchedKMeans(PARTS, seed=0)

    def extract(self, model, data_batch):
        self.modes.add((model.training, torch.is_grad_enabled(), type(model).__name__))
        return super().extract(model, data_batch)

    def cluster(self, runner):
        self.fired.append(runner.epoch)
        for chunk in self.iter_groups(chunk_size=4, shard=True):
            feats = chunk['feats']                                  # (n, C, h, w)
            n, C, h, w = feats.shape
            pix = feats.permute(0, 2, 3, 1).reshape(n, h * w, C)
            packed, mask = pack_groups(pix, chunk['group_index'])   # (G, L, hw, C)
            G, L = mask.shape
            _, lab = self.bkm.fit(packed.reshape(G, L * h * w, C),
                                  mask[:, :, None].expand(G, L, h * w).reshape(G, -1),
                                  seeds=chunk['group_ids'])
            lab = unpack_groups(lab.view(G, L, h * w), chunk['group_index']).view(n, h, w)
            # name the parts top to bottom (ISP): rank each image's clusters by mean row
            rows = torch.arange(h).view(1, h, 1).expand(n, h, w).float()
            onehot = F.one_hot(lab, PARTS).float()                  # (n, h, w, K)
            mean_row = (onehot * rows[..., None]).sum((1, 2)) / onehot.sum((1, 2)).clamp(min=1)
            rank = mean_row.argsort(1).argsort(1)                   # (n, K)
            top_down = torch.gather(rank, 1, lab.view(n, -1)).view(n, h, w)
            self.write_labels(chunk['sample_idx'], top_down, 'parts')
        mb = TASK_UTILS.build(dict(type='MiniBatchKMeans', num_clusters=PARTS, seed=0))
        for buf in self.iter_buffers(4):
            f = buf['feats']
            mb.partial_fit(f.permute(0, 2, 3, 1).reshape(-1, f.shape[1]))
        centroids = self.broadcast_(mb.centroids.clone())
        for batch in self.iter_batches(gather=False):
            f = batch['feats']
            n, C, h, w = f.shape
            lab = mb.assign(f.permute(0, 2, 3, 1).reshape(-1, C), centroids).view(n, h, w)
            self.write_labels(batch['sample_idx'], lab, 'global')


@VISBACKENDS.register_module(force=True)
class RecordScalars(BaseVisBackend):
    """Keeps every ``add_scalars`` call of the run's visualizer in memory (writes nothing)."""

    def __init__(self, save_dir=None):
        super().__init__(save_dir)
        self.scalars = []

    @property
    def experiment(self):
        return self

    def _init_env(self):
        pass

    def add_scalars(self, scalar_dict, step=0, file_path=None, **kwargs):
        self.scalars.append(dict(scalar_dict))


def _cfg(work_dir, max_epochs, num_samples=11, **hook):
    train_pipeline = [dict(type='LoadPseudoLabels', store='parts'), dict(type='ToyPack')]
    return Config(dict(
        model=dict(type='ToyModel'),
        work_dir=str(work_dir),
        # a unique name: two runners built in the same second would share one logger (and its file)
        experiment_name=f'toy_clustering_{uuid.uuid4().hex}',
        default_scope='hp_mm',
        train_dataloader=dict(
            batch_size=3, num_workers=0,
            sampler=dict(type='DefaultSampler', shuffle=False),
            dataset=dict(type='ToyParts', num_samples=num_samples, pipeline=train_pipeline)),
        train_cfg=dict(type='EpochBasedTrainLoop', max_epochs=max_epochs),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.05)),
        custom_hooks=[dict(type='ToyClusteringHook', pipeline=[dict(type='ToyPack')],
                           dataloader=dict(batch_size=2), group_key='pid', show_progress=False,
                           **hook)],
        default_hooks=dict(checkpoint=dict(type='CheckpointHook', interval=1),
                           logger=dict(type='LoggerHook', interval=1)),
        log_level='INFO',
        randomness=dict(seed=0)))


def _hook(runner):
    return next(h for h in runner.hooks if isinstance(h, ToyClusteringHook))


def _seen_per_epoch(model, num_samples):
    out = []
    for s in range(0, len(model.seen), num_samples):
        out.append({i: lab for i, lab in model.seen[s:s + num_samples]})
    return out


def test_registered():
    assert HOOKS.get('PerEpochClusteringHook') is PerEpochClusteringHook
    with pytest.raises(ValueError, match='interval'):
        PerEpochClusteringHook(interval=0)
    with pytest.raises(RuntimeError, match='only available inside cluster'):
        next(PerEpochClusteringHook().iter_batches())
    with pytest.raises(RuntimeError, match='iter_groups needs group_key'):
        PerEpochClusteringHook().iter_groups()


@pytest.fixture(scope='module')
def full_run(tmp_path_factory):
    """One uninterrupted run: 5 epochs, clustering every 2 epochs until epoch 3."""
    cfg = _cfg(tmp_path_factory.mktemp('full'), max_epochs=5, interval=2, stop_epoch=3)
    cfg.visualizer = dict(type='Visualizer', vis_backends=[dict(type='RecordScalars')])
    runner = Runner.from_cfg(cfg)
    runner.train()
    return runner


def test_fires_on_schedule_labels_follow_parts_and_logs(full_run):
    runner = full_run
    hook = _hook(runner)
    assert hook.fired == [0, 2]                      # 1, 3: interval; 4: stop_epoch
    assert hook.chunk_size == 256                    # iter_groups(chunk_size=4): that call only
    # extraction: unwrapped model in eval() without grad, sequential un-augmented loader
    assert hook.modes == {(False, False, 'ToyModel')} and runner.model.training
    sampler = hook.dataloader.sampler
    assert (sampler.shuffle, sampler.round_up, hook.dataloader.batch_size) == (False, False, 2)
    parts = PseudoLabelStore(hook.store_path(runner, 'parts')).array
    assert parts.shape == (11, H, W)
    want = np.repeat(np.array([0, 0, 0, 1, 1, 1, 2, 2], np.uint8)[:, None], W, 1)
    assert (parts == want).all()                     # per-identity clusters = the 3 parts
    glob = np.asarray(PseudoLabelStore(hook.store_path(runner, 'global')).array)
    for i in range(11):                              # global clusters: same partition
        assert len({(a, b) for a, b in zip(glob[i].ravel(), want.ravel())}) == 3
    # the model trained on the stored maps, every epoch, every sample
    seen = _seen_per_epoch(runner.model, 11)
    assert len(seen) == 5 and all(sorted(s) == list(range(11)) for s in seen)
    assert all(torch.equal(s[i], torch.from_numpy(want.astype(np.int64))) for s in seen
               for i in s)
    # what the hook reported to the visualizer (kept in memory, no log file read): per
    # clustering its statistics, after each of the 2 clustering epochs its share
    scalars = [s for s in runner.visualizer.get_backend('RecordScalars').scalars
               if any(k.startswith('clustering/') for k in s)]
    assert [sorted(s) for s in scalars] == [sorted(hook.stats), ['clustering/share']] * 2
    assert scalars[2] == hook.stats  # the last clustering's, value for value
    shares = [s['clustering/share'] for s in scalars[1::2]]
    assert all(0 < s < 1 for s in shares)
    info = runner.message_hub.get_info('clustering')
    assert info['clustering/time'] > 0 and info['clustering/peak_memory_mb'] >= 0
    # the last clustering's statistics: 11 samples, iter_groups chunks of >= 4 samples of
    # whole identities (3 per identity: chunks of 6, 5) and buffers of 4 -> at most 6 held
    assert hook.stats['clustering/max_buffered'] == 6
    assert hook.stats['clustering/time'] >= hook.stats['clustering/extract_time'] > 0
    # checkpoints carry the labels as uint8 tensors and load with weights_only=True
    ckpt = torch.load(osp.join(runner.work_dir, 'epoch_5.pth'), weights_only=True)
    saved = ckpt['pseudo_labels']
    assert saved['parts']['epoch'] == 2 and saved['parts']['labels'].dtype == torch.uint8
    assert np.array_equal(saved['parts']['labels'].numpy(), parts)


def test_resume_continues_with_the_same_labels(full_run, tmp_path):
    seen_full = _seen_per_epoch(full_run.model, 11)
    # fresh work_dir with only the epoch-1 checkpoint and a wrong store on disk
    resumed_dir = tmp_path / 'resumed'
    os.makedirs(resumed_dir / 'pseudo_labels')
    shutil.copy(osp.join(full_run.work_dir, 'epoch_1.pth'), resumed_dir / 'epoch_1.pth')
    for name in ('parts', 'global'):
        PseudoLabelStore.create(str(resumed_dir / 'pseudo_labels' / f'{name}.npy'), 11, H, W,
                                fill=7)
    cfg = _cfg(resumed_dir, max_epochs=5, interval=2, stop_epoch=3)
    cfg.resume, cfg.load_from = True, str(resumed_dir / 'epoch_1.pth')
    resumed = Runner.from_cfg(cfg)
    resumed.train()
    assert _hook(resumed).fired == [2]               # epoch 1 used the checkpoint's labels
    seen_resumed = _seen_per_epoch(resumed.model, 11)
    assert len(seen_resumed) == 4
    for e, seen in enumerate(seen_resumed, start=1):
        assert all(torch.equal(seen[i], seen_full[e][i]) for i in range(11)), f'epoch {e}'
    for name in ('parts', 'global'):
        a = PseudoLabelStore(_hook(full_run).store_path(full_run, name)).array
        b = PseudoLabelStore(_hook(resumed).store_path(resumed, name)).array
        assert np.array_equal(a, b)


def _rank_worker(rank, world_size, port, work_dir, num_samples):
    os.environ.update(RANK=str(rank), WORLD_SIZE=str(world_size), LOCAL_RANK=str(rank),
                      MASTER_ADDR='127.0.0.1', MASTER_PORT=str(port))
    from hp_mm.utils import finish_distributed, prepare_cpu_distributed
    cfg = _cfg(work_dir, max_epochs=1, num_samples=num_samples)
    cfg.launcher = 'pytorch'
    prepare_cpu_distributed(cfg, 'pytorch')
    runner = Runner.from_cfg(cfg)
    runner.train()
    hook = _hook(runner)
    assert hook.world_size == world_size and hook.modes == {(False, False, 'ToyModel')}  # unwrapped
    finish_distributed(runner)


def test_two_gloo_ranks_write_the_same_labels_as_one(full_run, tmp_path, spawn_ranks):
    # 11 samples, 2 ranks x batch 2: rank 0 has 6 samples (3 steps), rank 1 has 5 (3 steps,
    # the last of 1 sample); iter_groups chunks are split between the ranks. The 1-rank
    # reference: the epoch-0 labels of the uninterrupted run (same initial weights),
    # saved in its epoch-1 checkpoint.
    spawn_ranks(_rank_worker, args=(2, free_port(), str(tmp_path / 'two'), 11))
    one = torch.load(osp.join(full_run.work_dir, 'epoch_1.pth'), weights_only=True)
    for name in ('parts', 'global'):
        a = one['pseudo_labels'][name]['labels'].numpy()
        b = np.asarray(PseudoLabelStore(str(tmp_path / 'two' / 'pseudo_labels' / f'{name}.npy')).array)
        assert (a != 255).all() and np.array_equal(a, b), name
    assert not dist.is_initialized()
