import pytest
import torch

from hp_mm.models.necks import PixelConsistentModule, SparseCodingFFN, ista_nonneg


def test_ista_one_step_with_orthonormal_dictionary_is_nonneg_soft_threshold():
    """With D^T D = I the eq. 2 minimiser over a >= 0 is relu(D^T x - lambda), reached in one
    step of size 1 and kept by further steps."""
    q, _ = torch.linalg.qr(torch.randn(6, 6, generator=torch.Generator().manual_seed(0)))
    d = q[:, :4]
    x = torch.randn(5, 6, generator=torch.Generator().manual_seed(1))
    expected = torch.relu(x @ d - 0.3)
    for steps in (1, 4):
        codes = ista_nonneg(x, d, lam=0.3, num_steps=steps)
        assert torch.allclose(codes, expected, atol=1e-5)
    assert (codes >= 0).all() and (codes == 0).any()


def test_sparse_code_loss_is_eq4():
    torch.manual_seed(0)
    ffn = SparseCodingFFN(embed_dims=8, num_atoms=4, lam=0.2, num_steps=3)
    x = torch.randn(2, 5, 8)
    recon, codes, loss = ffn(x)
    assert recon.shape == x.shape and codes.shape == (2, 5, 4)
    assert (codes >= 0).all()
    assert torch.allclose(recon, codes @ ffn.dictionary.t(), atol=1e-6)
    expected = (0.5 * (x - recon).pow(2).sum(-1) + 0.2 * codes.sum(-1)).mean() / 8
    assert loss.item() == pytest.approx(expected.item(), rel=1e-5)
    # the dictionary starts inside eq. 3's set (unit columns)
    assert torch.allclose(ffn.dictionary.norm(dim=0), torch.ones(4), atol=1e-5)


def test_pixel_consistent_module_shapes_and_variants():
    torch.manual_seed(0)
    x = torch.randn(2, 8, 3, 4)
    sparse = PixelConsistentModule(embed_dims=8, num_heads=2, ffn='sparse', num_atoms=4)
    y, aux = sparse(x)
    assert y.shape == x.shape and aux['codes'].shape == (2, 12, 4) and aux['loss'].dim() == 0
    mlp = PixelConsistentModule(embed_dims=8, num_heads=2, ffn='mlp', feedforward_channels=16)
    y, aux = mlp(x)
    assert y.shape == x.shape and aux == {}
    # no positional embedding: permuting the positions permutes the output
    perm = torch.randperm(12)
    flat = x.flatten(2)
    y_perm, _ = mlp(flat[:, :, perm].reshape(2, 8, 3, 4))
    assert torch.allclose(y_perm.flatten(2), mlp(x)[0].flatten(2)[:, :, perm], atol=1e-5)
    with pytest.raises(ValueError, match="'sparse' or 'mlp'"):
        PixelConsistentModule(ffn='relu')
