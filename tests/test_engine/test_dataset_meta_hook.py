from datetime import timedelta
from types import SimpleNamespace

import torch
import torch.distributed as dist
import torch.nn as nn
from mmengine.model import BaseModel, MMDistributedDataParallel
from mmengine.runner import Runner
from torch.utils.data import Dataset

from hp_mm.engine.hooks import DatasetMetaHook
from hp_mm.models.losses import StructureSensitiveLoss
from hp_mm.registry import HOOKS

TOY_CLASSES = ('bg', 'a', 'b', 'c')
TOY_GROUPS = (('j0', ('a', )), ('j1', ('b', 'c')))


class ToyDataset(Dataset):
    """4 random 3 x 8 x 8 images with 4-class label maps."""

    def __init__(self, metainfo=None):
        self.metainfo = dict(classes=TOY_CLASSES, joint_groups=TOY_GROUPS) \
            if metainfo is None else metainfo

    def __len__(self):
        return 4

    def __getitem__(self, idx):
        g = torch.Generator().manual_seed(idx)
        return dict(
            inputs=torch.randn(3, 8, 8, generator=g),
            labels=torch.randint(0, 4, (8, 8), generator=g))


class Recorder(nn.Module):

    def __init__(self):
        super().__init__()
        self.metas = []

    def set_dataset_meta(self, metainfo):
        self.metas.append(metainfo)


class ToyParser(BaseModel):
    """A 1x1-conv parser whose loss needs the dataset's joint groups."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 1)
        self.loss_decode = StructureSensitiveLoss(
            sigma=2.0, heatmap_stride=1, joint_weight_offset=1.0)
        self.recorder = Recorder()

    def forward(self, inputs, labels=None, mode='tensor'):
        if isinstance(inputs, (list, tuple)):
            inputs = torch.stack(inputs)
        logits = self.conv(inputs)
        if mode == 'loss':
            if isinstance(labels, (list, tuple)):
                labels = torch.stack(labels)
            return dict(loss_ssl=self.loss_decode(logits, labels))
        return logits


def _runner(model, train=None, val=None, test=None):
    dl = lambda ds: None if ds is None else SimpleNamespace(dataset=ds)  # noqa
    return SimpleNamespace(
        model=model,
        train_dataloader=dl(train),
        val_dataloader=dl(val),
        test_dataloader=dl(test))


def test_registered():
    hook = HOOKS.build(dict(type='DatasetMetaHook'))
    assert isinstance(hook, DatasetMetaHook) and hook.priority == 'NORMAL'


def test_before_train_sets_every_submodule():
    model = ToyParser()
    train_ds = ToyDataset()
    val_ds = ToyDataset(dict(classes=('x', ), joint_groups=()))
    hook = DatasetMetaHook()
    runner = _runner(model, train=train_ds, val=val_ds)
    hook.before_train(runner)
    assert model.recorder.metas == [train_ds.metainfo]
    assert model.loss_decode.joint_names == ('j0', 'j1')
    # during training, validation keeps the train metainfo
    hook.before_val(runner)
    assert model.recorder.metas == [train_ds.metainfo]
    loss = model(torch.randn(2, 3, 8, 8), torch.randint(0, 4, (2, 8, 8)),
                 mode='loss')['loss_ssl']
    loss.backward()
    assert model.conv.weight.grad is not None


def test_test_only_run_uses_test_dataset():
    model = ToyParser()
    test_ds = ToyDataset()
    hook = DatasetMetaHook()
    hook.before_test(_runner(model, test=test_ds))
    assert model.recorder.metas == [test_ds.metainfo]
    assert model.loss_decode._membership is not None
    # a dataset without metainfo is skipped
    model2 = ToyParser()
    DatasetMetaHook().before_val(_runner(model2, val=object()))
    assert model2.recorder.metas == []


def _ddp_worker(rank, world_size, store_file):
    # a file store: no TCP port that a concurrent test run could take
    dist.init_process_group(
        'gloo',
        init_method=f'file://{store_file}',
        rank=rank,
        world_size=world_size,
        timeout=timedelta(seconds=120))
    try:
        torch.manual_seed(0)
        model = ToyParser()
        ddp = MMDistributedDataParallel(module=model)
        DatasetMetaHook().before_train(_runner(ddp, train=ToyDataset()))
        assert model.loss_decode.joint_names == ('j0', 'j1')
        assert len(model.recorder.metas) == 1
        batch = ToyDataset()[rank]
        loss = ddp(batch['inputs'][None], batch['labels'][None],
                   mode='loss')['loss_ssl']
        loss.backward()
        grad = model.conv.weight.grad.clone()
        grads = [torch.zeros_like(grad) for _ in range(world_size)]
        dist.all_gather(grads, grad)
        torch.testing.assert_close(grads[0], grads[1])  # DDP averaged them
        # free DDP's reducer while the peer is still there: torch 2.13's gloo teardown hangs on
        # rank 0 when the reducer outlives the other rank
        del ddp
        dist.barrier()
    finally:
        dist.destroy_process_group()


def test_wrapped_model_on_two_gloo_ranks(tmp_path, spawn_ranks):
    spawn_ranks(_ddp_worker, args=(2, str(tmp_path / 'store')))


def test_runner_train_with_hook(tmp_path):
    model = ToyParser()
    runner = Runner(
        model=model,
        work_dir=str(tmp_path),
        train_dataloader=dict(
            dataset=ToyDataset(),
            sampler=dict(type='DefaultSampler', shuffle=False),
            batch_size=2,
            num_workers=0),
        train_cfg=dict(by_epoch=True, max_epochs=1),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.01)),
        custom_hooks=[dict(type='DatasetMetaHook')],
        default_hooks=dict(checkpoint=None, logger=None),
        default_scope='hp_mm')
    runner.train()
    assert model.loss_decode.joint_names == ('j0', 'j1')
    assert model.recorder.metas == [ToyDataset().metainfo]
