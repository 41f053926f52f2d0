from types import SimpleNamespace

import torch

from hp_mm.engine.hooks import DictionaryProjectionHook
from hp_mm.models.necks import PixelConsistentModule


def test_columns_projected_after_an_optimiser_step():
    torch.manual_seed(0)
    module = PixelConsistentModule(embed_dims=8, num_heads=2, ffn='sparse', num_atoms=4,
                                   loss_weight=0.3)
    optim = torch.optim.SGD(module.parameters(), lr=50.0)
    x = torch.randn(2, 8, 3, 3) * 3
    y, aux = module(x)
    (y.pow(2).mean() - aux['loss']).backward()  # pushes the dictionary to grow
    optim.step()
    norms = module.ffn.dictionary.norm(dim=0)
    assert (norms > 1).any()
    runner = SimpleNamespace(model=torch.nn.Sequential(module))
    hook = DictionaryProjectionHook()
    hook.after_train_iter(runner, 0)
    norms_after = module.ffn.dictionary.norm(dim=0)
    assert (norms_after <= 1 + 1e-6).all()
    # columns that were inside the ball keep their length, the others are rescaled to 1
    assert torch.allclose(norms_after, norms.clamp(max=1.0), atol=1e-6)
    _, aux = module(x)
    assert (aux['codes'] >= 0).all()
    assert DictionaryProjectionHook.project(runner.model) == 1
