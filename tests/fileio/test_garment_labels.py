"""Garment label images: path, round trip, clear errors."""
import numpy as np
import pytest

from ratenet_plugin.fileio.garment_labels import (LOWER, UPPER,
                                                  MissingLabelsError,
                                                  label_path, read_labels,
                                                  write_labels)


def test_labels_round_trip_in_a_sibling_folder(tmp_path):
    image = tmp_path / 'test' / 'fashionWOMENx01_1front.png'
    labels = np.zeros((8, 6), np.uint8)
    labels[2:4, 1:5] = UPPER
    labels[5:, 2:4] = LOWER
    path = write_labels(str(image), labels)
    assert path == str(tmp_path / 'test_labels' / 'fashionWOMENx01_1front.png')
    assert label_path(str(image)) == path
    assert np.array_equal(read_labels(str(image)), labels)


def test_missing_or_bad_labels_name_the_file(tmp_path):
    image = tmp_path / 'test' / 'a.jpg'
    # No label folder at all: real data, not a synthetic set (the advice
    # was to delete the data folder to regenerate it).
    with pytest.raises(MissingLabelsError) as info:
        read_labels(str(image))
    assert 'GarmentFidelity scores the synthetic sets only' in str(
        info.value)
    assert 'delete' not in str(info.value)
    (tmp_path / 'test_labels').mkdir()
    with pytest.raises(MissingLabelsError, match='test_labels.*a.png.*'
                       'delete the data folder to regenerate it'):
        read_labels(str(image))
    with pytest.raises(ValueError, match='values in'):
        write_labels(str(image), np.full((4, 4), 7))
