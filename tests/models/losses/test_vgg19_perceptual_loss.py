"""VGG19PerceptualLoss: local weights, clear errors, losses, cache."""
import pytest
import torch
import torchvision.models.vgg as tv_vgg

from ratenet_plugin.fileio.checkpoint_file import (CheckpointError,
                                                    CheckpointMismatchError)
from ratenet_plugin.models.losses import (VGG19_WEIGHTS_FILE,
                                          VGG19PerceptualLoss)
from ratenet_plugin.models.losses.vgg19_perceptual_loss import (
    gram_matrix, vgg19_features)

LAYERS = dict(relu1_1=0.5, relu2_1=1.0)


def _save_vgg19(path, seed=1):
    """A torchvision-format VGG19 state dict (random weights)."""
    torch.manual_seed(seed)
    features = tv_vgg.make_layers(tv_vgg.cfgs['E'])
    state = {f'features.{k}': v for k, v in features.state_dict().items()}
    state['classifier.6.bias'] = torch.zeros(10)
    torch.save(state, path)
    return features


def _images(num=2, seed=0):
    gen = torch.Generator().manual_seed(seed)
    return (torch.rand(num, 3, 32, 22, generator=gen) * 2 - 1,
            torch.rand(num, 3, 32, 22, generator=gen) * 2 - 1)


def test_missing_explicit_file_names_it(tmp_path):
    path = tmp_path / VGG19_WEIGHTS_FILE
    loss = VGG19PerceptualLoss(LAYERS, pretrained=str(path))
    with pytest.raises(FileNotFoundError) as error:
        loss.init_weights()
    message = str(error.value)
    assert str(path) in message
    assert 'model.perceptual_loss.pretrained' in message


def test_missing_hub_cache_file_names_it(tmp_path, monkeypatch):
    monkeypatch.setenv('TORCH_HOME', str(tmp_path))
    with pytest.raises(FileNotFoundError) as error:
        VGG19PerceptualLoss(LAYERS).init_weights()
    expected = tmp_path / 'hub' / 'checkpoints' / VGG19_WEIGHTS_FILE
    assert str(expected) in str(error.value)


def test_loads_a_local_file(tmp_path):
    features = _save_vgg19(tmp_path / 'my_vgg.pth')
    loss = VGG19PerceptualLoss(LAYERS, pretrained=str(tmp_path / 'my_vgg.pth'))
    loss.init_weights()
    assert torch.equal(loss.vgg.vgg_layers[5].weight, features[5].weight)
    # Layers beyond the deepest requested one (relu2_1 = index 6) are dropped.
    assert len(loss.vgg.vgg_layers) == 7
    assert not any(p.requires_grad for p in loss.parameters())


def test_loads_from_the_torch_hub_cache(tmp_path, monkeypatch):
    monkeypatch.setenv('TORCH_HOME', str(tmp_path))
    checkpoints = tmp_path / 'hub' / 'checkpoints'
    checkpoints.mkdir(parents=True)
    features = _save_vgg19(checkpoints / VGG19_WEIGHTS_FILE, seed=2)
    loss = VGG19PerceptualLoss(LAYERS)
    loss.init_weights()
    assert torch.equal(loss.vgg.vgg_layers[0].weight, features[0].weight)


def test_wrong_file_says_so(tmp_path):
    """A missing layer or a wrong shape stops, naming the file and keys."""
    path = tmp_path / 'not_vgg.pth'
    torch.save({'features.0.weight': torch.zeros(1)}, path)
    with pytest.raises(CheckpointMismatchError) as error:
        VGG19PerceptualLoss(LAYERS, pretrained=str(path)).init_weights()
    message = str(error.value)
    assert str(path) in message and 'VGG19' in message
    assert 'missing: 0.bias, 2.bias' in message
    assert '0.weight [1] vs [64, 3, 3, 3]' in message


def test_vgg_file_with_a_layer_missing_is_refused(tmp_path):
    path = tmp_path / 'vgg19.pth'
    _save_vgg19(path)
    state = torch.load(path)
    del state['features.5.weight']
    torch.save(state, path)
    with pytest.raises(CheckpointMismatchError, match='missing: 5.weight'):
        VGG19PerceptualLoss(LAYERS, pretrained=str(path)).init_weights()


def test_unreadable_vgg_file_is_a_checkpoint_error(tmp_path):
    path = tmp_path / 'vgg19.pth'
    path.write_text('not a checkpoint')
    with pytest.raises(CheckpointError) as info:
        VGG19PerceptualLoss(LAYERS, pretrained=str(path)).init_weights()
    assert str(info.value).startswith(f'checkpoint {path} is damaged')
    assert str(info.value).endswith(
        "download torchvision's VGG19 weights again "
        '(https://download.pytorch.org/models/vgg19-dcbb9e9d.pth)')


def test_no_silent_random_vgg(tmp_path):
    """Weights are read by init_weights(); without it the loss refuses to
    run unless random weights were asked for."""
    _save_vgg19(tmp_path / 'vgg19.pth')
    loss = VGG19PerceptualLoss(LAYERS, pretrained=str(tmp_path / 'vgg19.pth'))
    pred, gt = _images()
    with pytest.raises(RuntimeError, match='init_weights'):
        loss(pred, gt)
    loss.init_weights()
    assert loss(pred, gt)[0].item() > 0


def test_layer_names_and_indices_are_equivalent():
    torch.manual_seed(0)
    by_name = VGG19PerceptualLoss(LAYERS, pretrained=None)
    by_index = VGG19PerceptualLoss({'1': 0.5, '6': 1.0}, pretrained=None)
    by_index.load_state_dict(by_name.state_dict())
    pred, gt = _images()
    assert torch.equal(by_name(pred, gt)[0], by_index(pred, gt)[0])
    with pytest.raises(KeyError, match='relu9_9'):
        VGG19PerceptualLoss({'relu9_9': 1.}, pretrained=None)


def test_losses_vanish_for_identical_images_only():
    loss = VGG19PerceptualLoss(LAYERS, pretrained=None)
    pred, gt = _images()
    perceptual, style = loss(gt.clone(), gt)
    assert perceptual.item() == 0 and style.item() == 0
    perceptual, style = loss(pred, gt)
    assert perceptual.item() > 0 and style.item() > 0
    perceptual_only, no_style = loss(pred, gt, with_style=False)
    assert no_style is None and torch.equal(perceptual_only, perceptual)


def test_layer_weights_weight_the_layers():
    torch.manual_seed(0)
    single = VGG19PerceptualLoss({'relu1_1': 1.}, pretrained=None)
    double = VGG19PerceptualLoss({'relu1_1': 2.}, pretrained=None)
    double.load_state_dict(single.state_dict())
    pred, gt = _images()
    assert torch.allclose(2 * single(pred, gt)[0], double(pred, gt)[0])


def test_ground_truth_features_are_cached_per_tensor():
    torch.manual_seed(0)
    loss = VGG19PerceptualLoss(LAYERS, pretrained=None)
    reference = VGG19PerceptualLoss(
        LAYERS, pretrained=None, cache_gt_features=False)
    reference.load_state_dict(loss.state_dict())
    calls = []
    loss.vgg.register_forward_hook(lambda *args: calls.append(1))
    pred, gt = _images()
    loss(pred, gt)
    assert len(calls) == 2
    # Same ground-truth tensor, unchanged: only the prediction goes through.
    assert torch.equal(loss(pred * 0.5, gt)[0], reference(pred * 0.5, gt)[0])
    assert len(calls) == 3
    # Changed in place: recomputed.
    gt.mul_(0.5)
    assert torch.equal(loss(pred, gt)[0], reference(pred, gt)[0])
    assert len(calls) == 5
    # Another tensor with equal values is another ground truth.
    loss(pred, gt.clone())
    assert len(calls) == 7
    # New VGG weights (loaded in place) after gt was cached: recomputed.
    loss(pred, gt)
    assert len(calls) == 9
    other = VGG19PerceptualLoss(LAYERS, pretrained=None)
    loss.load_state_dict(other.state_dict())
    reference.load_state_dict(other.state_dict())
    assert torch.equal(loss(pred, gt)[0], reference(pred, gt)[0])
    assert len(calls) == 11


def test_gram_matrix_is_float32_under_autocast():
    features = torch.randn(2, 4, 8, 8)
    with torch.autocast('cpu', dtype=torch.bfloat16):
        gram = gram_matrix(features.bfloat16())
    assert gram.dtype == torch.float32 and gram.shape == (2, 4, 4)
    flat = features.bfloat16().float().reshape(2, 4, 64)
    assert torch.allclose(gram, flat @ flat.transpose(1, 2) / 256)


def test_gram_matrix_of_channels_last_features_is_the_same():
    """Channels_last features are read without a copy; same Gram matrix,
    and the same gradient."""
    features = torch.randn(2, 5, 6, 7, requires_grad=True)
    channels_last = features.detach().to(
        memory_format=torch.channels_last).requires_grad_()
    gram, gram_cl = gram_matrix(features), gram_matrix(channels_last)
    assert torch.allclose(gram, gram_cl, atol=1e-6)
    weights = torch.randn_like(gram)
    (gram * weights).sum().backward()
    (gram_cl * weights).sum().backward()
    assert torch.allclose(features.grad, channels_last.grad, atol=1e-5)


def test_truncated_features_keep_torchvision_indices():
    full = tv_vgg.make_layers(tv_vgg.cfgs['E'])
    for num_layers in (2, 7, 12, 30):
        part = vgg19_features(num_layers)
        assert len(part) >= num_layers
        for index, layer in enumerate(part):
            assert repr(layer) == repr(full[index])


def test_any_index_of_vgg19_features_is_a_layer():
    """MMagic's configs key layers by index, e.g. '34' (conv5_4, before its
    ReLU: SRGAN/ESRGAN), not only the ReLUs."""
    torch.manual_seed(0)
    conv = VGG19PerceptualLoss({'34': 1.}, pretrained=None)
    relu = VGG19PerceptualLoss({'relu5_4': 1.}, pretrained=None)
    relu.load_state_dict(conv.state_dict())
    pred, gt = _images()
    assert conv(pred, gt)[0] > relu(pred, gt)[0] > 0  # ReLU drops a part
    with pytest.raises(KeyError, match='0 to 36'):
        VGG19PerceptualLoss({'37': 1.}, pretrained=None)


def test_weights_of_zero_or_no_layers_skip_a_term_as_mmagic_does():
    torch.manual_seed(0)
    plain = VGG19PerceptualLoss(LAYERS, pretrained=None)
    weighted = VGG19PerceptualLoss(
        LAYERS, perceptual_weight=3., style_weight=0., pretrained=None)
    weighted.load_state_dict(plain.state_dict())
    pred, gt = _images()
    perceptual, style = weighted(pred, gt)
    assert style is None
    assert torch.allclose(perceptual, 3 * plain(pred, gt)[0])
    assert VGG19PerceptualLoss(
        LAYERS, layer_weights_style={}, pretrained=None)(pred, gt)[1] is None
    assert VGG19PerceptualLoss({}, {'relu1_1': 1.},
                               pretrained=None)(pred, gt)[0] is None
    with pytest.raises(ValueError, match='computes nothing'):
        VGG19PerceptualLoss(LAYERS, perceptual_weight=0., style_weight=0.)


def test_it_is_the_perceptual_loss_of_mmagics_srgan():
    """Built by MMagic's registry as SRGAN's ``perceptual_loss`` with its
    config's keys: SRGAN adds the terms it returns (a style term of weight
    0 is None and absent; an int 0 made MMEngine fail before)."""
    from mmengine.optim import OptimWrapper, OptimWrapperDict
    from mmengine.registry import init_default_scope
    from mmagic.structures import DataSample

    from ratenet_plugin.registry import MODELS

    init_default_scope('mmagic')
    torch.manual_seed(0)
    model = MODELS.build(
        dict(
            type='SRGAN',
            generator=dict(
                type='MSRResNet', in_channels=3, out_channels=3,
                mid_channels=8, num_blocks=1, upscale_factor=2),
            discriminator=dict(
                type='ModifiedVGG', in_channels=3, mid_channels=8),
            pixel_loss=dict(type='L1Loss', loss_weight=1e-2),
            perceptual_loss=dict(
                type='VGG19PerceptualLoss', layer_weights={'34': 1.0},
                vgg_type='vgg19', perceptual_weight=1.0, style_weight=0,
                norm_img=False, pretrained=None),
            gan_loss=dict(type='GANLoss', gan_type='vanilla',
                          loss_weight=5e-3),
            train_cfg=dict(), test_cfg=dict(),
            data_preprocessor=dict(
                type='DataPreprocessor', mean=[0.] * 3, std=[255.] * 3)))
    model.init_weights()
    optim = OptimWrapperDict(
        generator=OptimWrapper(torch.optim.Adam(
            model.generator.parameters())),
        discriminator=OptimWrapper(torch.optim.Adam(
            model.discriminator.parameters())))
    data = dict(
        inputs=[torch.rand(3, 64, 64) * 255 for _ in range(2)],
        data_samples=[
            DataSample(gt_img=torch.rand(3, 128, 128) * 255) for _ in range(2)
        ])
    log = model.train_step(data, optim)
    assert log['loss_perceptual'] > 0 and 'loss_style' not in log


def test_losses_are_the_papers_terms_on_imagenet_normalised_features(
        tmp_path):
    """Written out with torchvision's VGG19 (the file's weights): images in
    [-1, 1] go to [0, 1], then ImageNet-normalised; L_per = sum of w_l *
    mean |phi_l(x) - phi_l(gt)|, L_sty the same over Gram matrices / CHW."""
    path = tmp_path / VGG19_WEIGHTS_FILE
    features = _save_vgg19(path).eval()
    loss = VGG19PerceptualLoss(LAYERS, layer_weights_style=LAYERS,
                               pretrained=str(path))
    loss.init_weights()
    pred, gt = _images()
    mean = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)
    std = torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)

    def phi(img, index):
        return features[:index + 1](((img + 1) / 2 - mean) / std)

    indices = dict(relu1_1=1, relu2_1=6)
    with torch.no_grad():
        per, sty = loss(pred, gt)
        expected_per = sum(
            w * (phi(pred, indices[k]) - phi(gt, indices[k])).abs().mean()
            for k, w in LAYERS.items())

        def gram(f):
            n, c, h, w = f.shape
            f = f.reshape(n, c, h * w)
            return f @ f.transpose(1, 2) / (c * h * w)

        expected_sty = sum(
            w * (gram(phi(pred, indices[k])) -
                 gram(phi(gt, indices[k]))).abs().mean()
            for k, w in LAYERS.items())
    torch.testing.assert_close(per, expected_per)
    torch.testing.assert_close(sty, expected_sty)
