"""tools/score_folder.py end to end on a folder of PATN-style strips."""
import json

import numpy as np
import pytest
from PIL import Image

from ratenet_plugin.evaluation import MissingWeightsError
from ratenet_plugin.fileio.errors import UserInputError
from tests.evaluation.evaluation_testing import random_images
from tests.tools.tool_testing import load_tool


@pytest.fixture(scope='module')
def tool():
    return load_tool('score_folder')


def _hwc(image) -> np.ndarray:
    return image.round().clamp(0, 255).byte().permute(1, 2, 0).numpy()


@pytest.fixture
def patn_outputs(tmp_path):
    """Two test pairs, PATN's 5-panel strips with the generated image last
    (here: the ground truth itself, so SSIM is 1 and LPIPS 0)."""
    gt_dir, gen_dir = tmp_path / 'gt', tmp_path / 'patn_results'
    gt_dir.mkdir()
    gen_dir.mkdir()
    images = [_hwc(img) for img in random_images(3, 64, 44, seed=21)]
    names = ['personA_1front', 'personA_2side', 'personA_3back']
    for name, image in zip(names, images):
        Image.fromarray(image).save(gt_dir / f'{name}.png')
    pairs = [(0, 1), (2, 0)]
    for src, tgt in pairs:
        strip = np.concatenate(
            [images[src], images[src], images[tgt], images[tgt], images[tgt]],
            axis=1)
        Image.fromarray(strip).save(
            gen_dir / f'{names[src]}.jpg___{names[tgt]}.jpg_vis.png')
    (tmp_path /
     'pairs.csv').write_text('from,to\n' +
                             ''.join(f'{names[s]}.jpg,{names[t]}.jpg\n'
                                     for s, t in pairs))
    return tmp_path


def test_tool_scores_strips_and_writes_json(tool, patn_outputs, hub_cache,
                                            alexnet_file):
    hub_cache(alexnet_file)
    out = patn_outputs / 'scores.json'
    # A second image of a scored pair (e.g. its panel): a duplicate, named
    # (in name order the panel comes first and is scored).
    results_dir = patn_outputs / 'patn_results'
    first = sorted(results_dir.iterdir())[0]
    duplicate = results_dir / first.name.replace('_vis.png', '_panel.png')
    duplicate.write_bytes(first.read_bytes())
    results = tool.main([
        str(patn_outputs / 'patn_results'),
        str(patn_outputs / 'gt'), '--pairs',
        str(patn_outputs / 'pairs.csv'), '--metrics', 'SSIM', 'SSIM-padded',
        'LPIPS', '--out',
        str(out)
    ])
    assert set(results) == {
        'patn_results/SSIM', 'patn_results/SSIM-padded', 'patn_results/LPIPS'
    }
    assert results['patn_results/SSIM'] == pytest.approx(1., abs=1e-6)
    assert results['patn_results/LPIPS'] == pytest.approx(0., abs=1e-6)
    written = json.loads(out.read_text())
    assert written['table']['patn_results']['SSIM-padded'] == pytest.approx(
        1., abs=1e-6)
    assert written['meta']['num_pairs'] == 2
    assert written['meta']['missing_pairs'] == []
    # Of the two images of one pair, the second in name order.
    assert written['meta']['duplicates'] == [str(first)]
    assert [m['type'] for m in written['meta']['metric_configs']
            ] == ['SSIM', 'PaddedSSIM', 'LPIPS']


def test_tool_fid_against_a_reference_folder_and_is(tool, patn_outputs,
                                                    fid_inception_file,
                                                    is_inception_file,
                                                    tmp_path):
    stats = tmp_path / 'reference.npz'
    results = tool.main([
        str(patn_outputs / 'patn_results'),
        str(patn_outputs / 'gt'), '--metrics', 'FID', 'IS', '--name', 'patn',
        '--fid-inception',
        str(fid_inception_file), '--is-inception',
        str(is_inception_file), '--is-splits', '1', '--fid-real-dir',
        str(patn_outputs / 'gt'), '--save-fid-stats',
        str(stats)
    ])
    assert set(results) == {'patn/FID', 'patn/IS', 'patn/IS_std'}
    assert results['patn/FID'] > 0  # 2 targets vs all 3 real images
    with np.load(stats) as saved:
        assert saved['mu'].shape == (2048, )
        assert saved['sigma'].shape == (2048, 2048)


def test_tool_without_weights_says_which_file_is_missing(tool, patn_outputs):
    with pytest.raises(MissingWeightsError, match='alexnet-owt-7be5be79.pth'):
        tool.main([
            str(patn_outputs / 'patn_results'),
            str(patn_outputs / 'gt'), '--metrics', 'LPIPS'
        ])


def test_tool_scores_with_a_model_configs_weight_free_metrics(tool, tmp_path):
    """Another method's outputs on the synthetic test set, scored with the
    demo config's test metrics (no downloaded weights): the ground truth
    itself scores perfectly, a recoloured copy loses on the garment colour
    (GarmentFidelity finds the target's label images)."""
    from ratenet_plugin.datasets.synthetic import \
        generate_synthetic_deepfashion
    from ratenet_plugin.fileio.patn_csv import read_pairs_csv
    root = tmp_path / 'set'
    generate_synthetic_deepfashion(
        str(root), num_identities=3, poses_per_identity=2,
        num_test_identities=1, height=64, width=44, image_format='png')
    pairs = read_pairs_csv(str(root / 'fasion-resize-pairs-test.csv'))
    results = {}
    for method, change in (('same', lambda img: img),
                           ('recoloured', lambda img: img[..., ::-1])):
        out_dir = tmp_path / method
        out_dir.mkdir()
        for pair in pairs:
            target = np.asarray(Image.open(root / 'test' / pair.target))
            Image.fromarray(np.ascontiguousarray(change(target))).save(
                out_dir / f'{pair.source}___{pair.target}.png')
        results.update(tool.main([
            str(out_dir), str(root / 'test'), '--pairs',
            str(root / 'fasion-resize-pairs-test.csv'), '--eval-config',
            'configs/ratenet/ratenet_demo-pat32x22_1xb4-1800cycles_'
            'synthetic-64x44.py', '--metrics', 'SSIM', 'PSNR', 'GMSD',
            'HaarPSI', 'garment_colour'
        ]))
    assert results['same/SSIM'] == pytest.approx(1.)
    assert results['same/GMSD'] == pytest.approx(0., abs=1e-6)
    assert results['same/garment_colour'] == pytest.approx(0., abs=1e-6)
    assert results['recoloured/garment_colour'] > 10
    assert {'same/PSNR', 'same/HaarPSI', 'same/garment_texture_upper'
            } <= set(results)


def test_metrics_the_config_lacks_are_named(tool, patn_outputs):
    with pytest.raises(UserInputError) as info:
        tool.main([
            str(patn_outputs / 'patn_results'),
            str(patn_outputs / 'gt'), '--metrics', 'SSIM', 'garment_colour'
        ])
    assert str(info.value).startswith(
        '--metrics garment_colour: not among the test metrics of the final '
        'image in ')


def test_the_default_protocol_is_the_papers_six_numbers(tool):
    """Without --eval-config: _base_/evaluation.py's final_metrics, not its
    whole test_evaluator (whose 5-scale MS-SSIM refuses images under 161
    px)."""
    from ratenet_plugin.evaluation import result_name
    metrics = tool.metric_configs(tool.parse_args(['generated', 'real']))
    assert [result_name(m) for m in metrics] == [
        'SSIM', 'SSIM-padded', 'LPIPS', 'FID', 'IS', 'IS-padded'
    ]
