"""Shared fixtures for tests/analysis: a synthetic set whose test pairs
have known answers (its config: ``synthetic_pairs_testing``), and a config
file and a randomly initialised tiny checkpoint that read it."""
import shutil

import pytest

from ratenet_plugin.datasets.synthetic import generate_synthetic_deepfashion
from ratenet_plugin.fileio.patn_csv import (read_annotation_csv,
                                            write_annotation_csv,
                                            write_pairs_csv)
from tests.analysis.synthetic_pairs_testing import (FRAME,
                                                    synthetic_pairs_config)
from tests.apis.inference_testing import save_random_checkpoint, tiny_config


@pytest.fixture(scope='module')
def synthetic_set(tmp_path_factory):
    """A 64x44 synthetic set whose test pairs are each image and an exact
    copy of it under another name (image, labels and keypoints), so that
    the target's garments are the source's."""
    root = tmp_path_factory.mktemp('colour_probe')
    generate_synthetic_deepfashion(
        str(root), num_identities=3, poses_per_identity=3,
        num_test_identities=2, height=FRAME[0], width=FRAME[1],
        image_format='png')
    ann_file = str(root / 'fasion-resize-annotation-test.csv')
    rows, pairs = [], []
    for row in read_annotation_csv(ann_file):
        copy = row.name.replace('.png', 'copy.png')
        for folder in ('test', 'test_labels'):
            shutil.copy(root / folder / row.name, root / folder / copy)
        rows += [(row.name, row.keypoints), (copy, row.keypoints)]
        pairs.append((row.name, copy))
    write_annotation_csv(ann_file, rows)
    write_pairs_csv(str(root / 'fasion-resize-pairs-test.csv'), pairs)
    return root, len(pairs)


@pytest.fixture
def synthetic_checkpoint(synthetic_set, tmp_path):
    """(config file, checkpoint file): a tiny model's config whose test set
    is ``synthetic_set``, and a randomly initialised checkpoint of it."""
    root, _ = synthetic_set
    config = tmp_path / 'synthetic_pairs_config.py'
    synthetic_pairs_config(root).dump(str(config))
    checkpoint = save_random_checkpoint(tiny_config(),
                                        str(tmp_path / 'tiny.pth'))
    return str(config), checkpoint
