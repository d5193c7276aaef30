"""val_step/test_step outputs, read by MMagic's metrics."""
import math

import torch
from mmagic.evaluation import PSNR, SSIM, TransFID
from mmengine.dataset import pseudo_collate

from tests.models.ratenet_testing import build_model, raw_batch


def _to_eval(img):
    """[-1, 1] -> [0, 255], as metrics see images (RGB by default)."""
    return (img.clamp(-1, 1) + 1) * 127.5


def test_val_step_returns_one_sample_per_input(model):
    batch = raw_batch(num=3)
    model.eval()
    results = model.val_step(batch)
    with torch.no_grad():
        out = model(model.data_preprocessor(batch, False)['inputs'])
    assert len(results) == 3
    for index, sample in enumerate(results):
        assert sample.metainfo['channel_order'] == 'RGB'
        assert sample.src_name == f'src{index}.jpg'
        expected = dict(
            pred_img=_to_eval(out['final'])[index],
            coarse_img=_to_eval(out['coarse'])[index],
            residual_img=_to_eval(out['residual'])[index])
        for key, value in expected.items():
            assert value.shape == (3, 32, 22)
            assert torch.allclose(sample.output.get(key), value, atol=1e-4)
            assert sample.get(key) is sample.output.get(key)
        raw = batch['inputs']
        assert torch.equal(sample.gt_img, raw['tgt_img'][index].float())
        assert torch.allclose(
            sample.source_img, raw['src_img'][index].float(), atol=1e-3)
        assert torch.equal(sample.tgt_pose, raw['tgt_pose'][index])
        for key in ('pred_img', 'coarse_img', 'gt_img', 'source_img'):
            image = sample.get(key)
            assert image.min() >= 0 and image.max() <= 255


def test_test_step_is_val_step(model):
    model.eval()
    batch = raw_batch()
    torch.manual_seed(0)
    val = model.val_step(batch)
    test = model.test_step(batch)
    assert torch.equal(val[0].pred_img, test[0].pred_img)


def test_pb_only_outputs_have_no_residual():
    model = build_model(texture=False)
    model.eval()
    sample = model.val_step(raw_batch())[0]
    assert 'residual_img' not in sample.output and 'residual_img' not in sample
    assert torch.equal(sample.output.pred_img, sample.output.coarse_img)


def test_inference_without_ground_truth(model):
    batch = raw_batch()
    del batch['data_samples'], batch['inputs']['tgt_img']
    model.eval()
    results = model.test_step(batch)
    assert len(results) == 2 and 'gt_img' not in results[0]
    assert results[0].pred_img.shape == (3, 32, 22)


def test_mmagic_ssim_and_psnr_read_the_outputs(model):
    model.eval()
    samples = [sample.to_dict() for sample in model.val_step(raw_batch())]
    for metric_cls in (SSIM, PSNR):
        metric = metric_cls(gt_key='gt_img', pred_key='pred_img')
        metric.process(None, samples)
        values = metric.compute_metrics(metric.results)
        assert math.isfinite(values[metric.metric])
    coarse = SSIM(pred_key='coarse_img')
    coarse.process(None, samples)
    assert len(coarse.results) == 2


def _scripted_inception(path):
    """A stand-in for Tero's TorchScript Inception (same call signature):
    MMagic's 'StyleGAN' FID loads any TorchScript file from a local path."""

    class TinyInception(torch.nn.Module):

        def forward(self, x: torch.Tensor, return_features: bool = False):
            return x.float().mean(dim=(2, 3))

    torch.jit.save(torch.jit.script(TinyInception()), str(path))


def test_bgr_outputs_for_mmagic_metrics(model):
    model.data_preprocessor.eval_channel_order = 'BGR'
    model.eval()
    batch = raw_batch()
    sample = model.val_step(batch)[0]
    with torch.no_grad():
        out = model(model.data_preprocessor(batch, False)['inputs'])
    assert sample.metainfo['channel_order'] == 'BGR'
    assert torch.allclose(
        sample.pred_img, _to_eval(out['final'])[0, [2, 1, 0]], atol=1e-4)
    assert torch.equal(sample.gt_img,
                       batch['inputs']['tgt_img'][0].float()[[2, 1, 0]])


def test_mmagic_trans_fid_reads_fakes_and_reals(model, tmp_path):
    """TransFID reads ``fake_key`` from the sample's top level and the reals
    from ``data_preprocessor(data, False)['data_samples'].<real_key>``, both
    BGR (it flips them to RGB): with ``eval_channel_order='BGR'`` it sees
    RGB images as Inception should."""
    model.data_preprocessor.eval_channel_order = 'BGR'
    _scripted_inception(tmp_path / 'inception.pt')
    metric = TransFID(
        fake_nums=2,
        inception_style='StyleGAN',
        inception_path=str(tmp_path / 'inception.pt'),
        fake_key='pred_img',
        real_key='gt_img',
        sample_model='orig')
    model.eval()
    batch = raw_batch()
    samples = model.val_step(batch)
    metric.process(None, [sample.to_dict() for sample in samples])
    assert len(metric.fake_results) == 2
    # Inception sees I_t in RGB.
    with torch.no_grad():
        final = model(model.data_preprocessor(batch, False)['inputs'])['final']
    expected = _to_eval(final).to(torch.uint8).float().mean(dim=(2, 3))
    assert torch.allclose(torch.cat(metric.fake_results), expected)
    # Reals: what prepare_inception_feat does with our preprocessor.
    reals = model.data_preprocessor(pseudo_collate([
        dict(inputs={k: v[i] for k, v in batch['inputs'].items()},
             data_samples=batch['data_samples'][i]) for i in range(2)
    ]), False)['data_samples']
    real_features = metric.forward_inception(getattr(reals, 'gt_img'))
    rgb = torch.stack(batch['inputs']['tgt_img']).float()
    assert torch.allclose(real_features, rgb.mean(dim=(2, 3)))
