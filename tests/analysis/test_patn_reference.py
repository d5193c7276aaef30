"""PATN's reference networks: PATN's key names, shapes, one iteration."""
import torch

from ratenet_plugin.analysis.patn_reference import (
    PATNGenerator, PATNPerceptualFeatures, PATNResnetDiscriminator,
    make_patn_optimizers, patn_training_iteration)


def test_generator_has_patns_keys_and_size():
    with torch.device('meta'):
        generator = PATNGenerator()
    keys = list(generator.state_dict())
    assert keys[:4] == [
        'model.stream1_down.1.weight', 'model.stream1_down.1.bias',
        'model.stream1_down.4.weight', 'model.stream1_down.4.bias'
    ]
    assert keys[-2:] == [
        'model.stream1_up.7.weight', 'model.stream1_up.7.bias'
    ]
    # 41.4M parameters (counted from PATN's layer list).
    assert sum(p.numel() for p in generator.parameters()) == 41_358_019


def test_discriminators_have_patns_keys():
    with torch.device('meta'):
        disc = PATNResnetDiscriminator(21)
    state = disc.state_dict()
    assert state['model.1.weight'].shape == (64, 21, 7, 7)
    assert state['model.7.weight'].shape == (256, 128, 3, 3)
    assert state['model.10.conv_block.6.weight'].shape == (256, 256, 3, 3)
    assert 'model.12.conv_block.1.bias' in state
    assert 'model.13.conv_block.1.weight' not in state  # 3 blocks


def test_one_training_iteration_updates_all_three_networks():
    torch.manual_seed(0)
    generator = PATNGenerator(ngf=4, n_blocks=1)
    disc_pose = PATNResnetDiscriminator(21, ndf=4, n_blocks=1)
    disc_appearance = PATNResnetDiscriminator(6, ndf=4, n_blocks=1)
    optimizers = make_patn_optimizers(generator, disc_pose, disc_appearance)
    assert optimizers['generator'].defaults['betas'] == (0.5, 0.999)
    batch = dict(
        src_img=torch.rand(2, 3, 32, 24) * 2 - 1,
        tgt_img=torch.rand(2, 3, 32, 24) * 2 - 1,
        src_pose=torch.rand(2, 18, 32, 24),
        tgt_pose=torch.rand(2, 18, 32, 24))
    nets = dict(g=generator, dp=disc_pose, da=disc_appearance)
    before = {
        name: [p.detach().clone() for p in net.parameters()]
        for name, net in nets.items()
    }
    losses = patn_training_iteration(generator, disc_pose, disc_appearance,
                                     optimizers, batch,
                                     PATNPerceptualFeatures())
    assert set(losses) == {
        'loss_l1', 'loss_perceptual', 'loss_gan', 'loss_disc_pose',
        'loss_disc_appearance'
    }
    assert all(value > 0 for value in losses.values())
    for name, net in nets.items():
        assert all(not torch.equal(old, new)
                   for old, new in zip(before[name], net.parameters())
                   if new.ndim == 4), name
