"""GarmentFidelity: zero for the ground truth, worse for a blurred or a
recoloured ground truth, read from the synthetic set's label images."""
import cv2
import numpy as np
import pytest
import torch
from mmagic.structures import DataSample

from ratenet_plugin.datasets.synthetic import generate_synthetic_deepfashion
from ratenet_plugin.evaluation import garment_errors
from ratenet_plugin.fileio.garment_labels import read_labels
from ratenet_plugin.fileio.patn_csv import read_annotation_csv
from ratenet_plugin.evaluation.metric_errors import MetricInputError
from ratenet_plugin.registry import METRICS


@pytest.fixture(scope='module')
def synthetic_images(tmp_path_factory):
    """(path, (3, H, W) float RGB) of 12 synthetic 128x88 images."""
    root = tmp_path_factory.mktemp('garments')
    generate_synthetic_deepfashion(
        str(root), num_identities=6, poses_per_identity=2,
        num_test_identities=0, height=128, width=88, image_format='png')
    rows = read_annotation_csv(str(root / 'fasion-resize-annotation-train.csv'))
    images = []
    for row in rows:
        path = str(root / 'train' / row.name)
        rgb = cv2.cvtColor(cv2.imread(path), cv2.COLOR_BGR2RGB)
        images.append((path, torch.from_numpy(rgb).permute(2, 0, 1).float()))
    return images


def blurred(image):
    array = image.permute(1, 2, 0).numpy()
    return torch.from_numpy(cv2.GaussianBlur(array, (0, 0), 1.5)).permute(
        2, 0, 1)


def recoloured(image):
    return image[[2, 0, 1]]  # RGB -> BRG: every hue moves


def mean_errors(images, distort):
    errors = [
        garment_errors(gt, distort(gt), read_labels(path))
        for path, gt in images
    ]
    return {
        kind: np.mean([
            v for e in errors for k, v in e.items() if k.startswith(kind)
        ])
        for kind in ('colour', 'texture')
    }


def test_ground_truth_scores_zero(synthetic_images):
    errors = mean_errors(synthetic_images, lambda image: image)
    assert errors == {'colour': 0., 'texture': 0.}


def test_blurred_and_recoloured_ground_truth_rank_clearly_worse(
        synthetic_images):
    blur = mean_errors(synthetic_images, blurred)
    recolour = mean_errors(synthetic_images, recoloured)
    # Blur loses the texture; the colours move only where it mixes the
    # garment with its surroundings (thin limbs).
    assert blur['texture'] > 1
    assert blur['colour'] < 15
    # Recolouring moves the mean colour far and keeps the texture (channel
    # energies are summed).
    assert recolour['colour'] > 5 * blur['colour']
    assert recolour['texture'] < 0.01


def test_flattened_garment_loses_its_texture(synthetic_images):
    # Each garment painted in its mean colour: plain garments score ~0,
    # textured ones far from it.
    textured, plain = [], []
    for path, gt in synthetic_images:
        labels = read_labels(path)
        flat = gt.clone()
        for value in np.unique(labels):
            mask = torch.from_numpy(labels == value)
            flat[:, mask] = gt[:, mask].mean(dim=1, keepdim=True)
        errors = garment_errors(gt, flat, labels)
        for key in ('texture_upper', 'texture_lower'):
            if key in errors:
                (textured if errors[key] > 0.5 else plain).append(errors[key])
    assert len(textured) >= 4 and max(plain, default=0) < 0.5


def test_metric_reads_labels_of_the_target(synthetic_images):
    metric = METRICS.build(dict(type='GarmentFidelity', prefix='final'))
    samples = []
    for path, gt in synthetic_images[:4]:
        sample = DataSample(gt_img=gt, metainfo=dict(tgt_img_path=path))
        sample.output = DataSample(pred_img=recoloured(gt))
        samples.append(sample.to_dict())
    metric.size = len(samples)
    metric.process(None, samples)
    result = metric.evaluate()
    # Each figure is the mean of the per-pair errors garment_errors gives
    # against the target's own labels; the overall one over both garments.
    per_pair = [
        garment_errors(gt, recoloured(gt), read_labels(path))
        for path, gt in synthetic_images[:4]
    ]
    for kind in ('colour', 'texture'):
        both = []
        for garment in ('upper', 'lower'):
            values = [e[f'{kind}_{garment}'] for e in per_pair
                      if f'{kind}_{garment}' in e]
            assert values, (kind, garment)
            both += values
            assert result[f'final/garment_{kind}_{garment}'] == \
                pytest.approx(np.mean(values), rel=1e-9)
        assert result[f'final/garment_{kind}'] == pytest.approx(
            np.mean(both), rel=1e-9)
    assert result['final/garment_colour'] > 30


def test_samples_without_the_target_path_name_the_packing_fix(
        synthetic_images):
    """MMagic's PackInputs (PosePix2Pix's configs) packs no tgt_img_path."""
    metric = METRICS.build(dict(type='GarmentFidelity', prefix='final'))
    path, gt = synthetic_images[0]
    sample = DataSample(gt_img=gt)
    sample.output = DataSample(pred_img=gt)
    with pytest.raises(MetricInputError, match="with MMagic's PackInputs add "
                       "meta_keys=\\['tgt_img_path'\\]"):
        metric.process(None, [sample.to_dict()])
