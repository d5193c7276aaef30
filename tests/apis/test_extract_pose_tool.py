import json
import os.path as osp
import subprocess
import sys

import cv2
import numpy as np
import pytest

from ratenet_plugin.apis import annotate_images
from ratenet_plugin.fileio.image_file import list_images
from ratenet_plugin.fileio.patn_csv import read_annotation_csv

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def run_tool(*args) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, osp.join(ROOT, 'tools', 'extract_pose.py'),
         *map(str, args)],
        capture_output=True, text=True, cwd=ROOT, timeout=300)


@pytest.fixture
def image_folder(tmp_path, astronaut):
    folder = tmp_path / 'images'
    folder.mkdir()
    cv2.imwrite(str(folder / 'astronaut.png'), astronaut[..., ::-1])
    cv2.imwrite(str(folder / 'empty.png'), np.full((96, 64, 3), 255, np.uint8))
    (folder / 'notes.txt').write_text('not an image')
    return folder


def test_tool_writes_patn_csv_and_reports_no_person(tmp_path, image_folder):
    (image_folder / 'broken.jpg').write_bytes(b'garbage')
    (image_folder / 'a_zero_bytes.jpg').write_bytes(b'')
    (image_folder / 'IMG_0001.HEIC').write_bytes(b'an iPhone photo')
    out_csv = tmp_path / 'ann' / 'annotation.csv'
    proc = run_tool(image_folder, '--out', out_csv)
    # A photo of a kind not read is named, not passed over in silence.
    # (the fixture's folder holds a notes.txt too)
    assert ('skipped 2 files that are not images of .jpg, .jpeg, .png, '
            '.bmp, .webp (IMG_0001.HEIC, notes.txt;') in proc.stderr
    # broken.jpg and the 0-byte image are skipped, the others written.
    assert proc.returncode == 1, proc.stderr
    assert 'Traceback' not in proc.stderr
    assert 'empty.png: no person detected; writing -1 for all joints' \
        in proc.stdout
    assert 'broken.jpg: skipped, cannot read the image' in proc.stdout
    assert 'a_zero_bytes.jpg: skipped, cannot read the image (damaged ' \
        'image ' in proc.stdout and 'empty file (0 bytes)' in proc.stdout
    assert 'wrote 2 rows' in proc.stdout
    assert '2 unreadable' in proc.stdout
    assert 'different sizes' in proc.stderr
    lines = out_csv.read_text().splitlines()
    assert lines[0] == 'name:keypoints_y:keypoints_x'
    rows = {row.name: row for row in read_annotation_csv(str(out_csv))}
    assert sorted(rows) == ['astronaut.png', 'empty.png']
    assert (rows['empty.png'].keypoints == -1).all()
    astro = rows['astronaut.png'].keypoints
    assert astro[0, 1] < astro[1, 1]  # nose above neck


def test_crop_mode_writes_frames_matching_the_keypoints(
        tmp_path, image_folder, extractor):
    images = list_images(str(image_folder))
    assert [osp.basename(p) for p in images] == ['astronaut.png', 'empty.png']
    messages = []
    report = annotate_images(
        images, str(tmp_path / 'a.csv'), extractor, crop_size=(128, 88),
        image_out_dir=str(tmp_path / 'crops'),
        json_dir=str(tmp_path / 'json'), log=messages.append)
    assert report.rows == 2 and report.no_person == ['empty.png']
    assert report.image_sizes == {(128, 88)}
    assert messages == ['empty.png: no person detected; writing -1 for all '
                        'joints']
    for name in ('astronaut.png', 'empty.png'):
        crop = cv2.imread(str(tmp_path / 'crops' / name))
        assert crop.shape == (128, 88, 3)
    row = read_annotation_csv(str(tmp_path / 'a.csv'))[0]
    present = row.keypoints[:, 0] >= 0
    assert present.sum() >= 5
    assert (row.keypoints[present] < (88, 128)).all()
    doc = json.loads((tmp_path / 'json' / 'astronaut.json').read_text())
    assert doc['image_size'] == [128, 88]
    np.testing.assert_allclose(
        np.rint(doc['keypoints']), row.keypoints, atol=0)


def test_crop_size_requires_output_folder(tmp_path, extractor):
    with pytest.raises(ValueError, match='image_out_dir'):
        annotate_images([], str(tmp_path / 'a.csv'), extractor,
                        crop_size=(64, 64))


def test_tool_usage_mistakes_are_one_error_line(tmp_path, image_folder):
    image = image_folder / 'astronaut.png'
    proc = run_tool(image, '--out', tmp_path / 'a.csv')
    assert proc.returncode == 2
    assert proc.stderr.splitlines()[-1] == (
        f'error: {image} is a file; expected a folder of images')
    proc = run_tool(image_folder, '--out', tmp_path)
    assert proc.returncode == 2
    assert proc.stderr.splitlines()[-1] == (
        f'error: --out {tmp_path} is a folder; give the annotation CSV file '
        f'to write, e.g. {tmp_path / "annotation.csv"}')
    assert 'Traceback' not in proc.stderr
    # One folder per person: subfolders are not searched, and it says so.
    people = tmp_path / 'people'
    (people / 'alice').mkdir(parents=True)
    proc = run_tool(people, '--out', tmp_path / 'a.csv')
    assert proc.returncode == 2
    assert proc.stderr.splitlines()[-1].endswith(
        f'found in {people}; its 1 subfolders (alice) are not searched: run '
        'once per subfolder')


def test_outputs_never_replace_the_photos_or_each_other(tmp_path,
                                                         image_folder):
    """Crops written into the photos' own folder, or two photos whose JSONs
    share a name: one error line before any work, the photos untouched."""
    (image_folder / 'empty.jpg').write_bytes(
        (image_folder / 'empty.png').read_bytes())
    before = {p.name: p.read_bytes() for p in image_folder.iterdir()}
    proc = run_tool(image_folder, '--out', tmp_path / 'a.csv', '--crop-size',
                    64, 44, '--image-out', image_folder)
    assert proc.returncode == 2 and 'Traceback' not in proc.stderr
    assert proc.stderr.splitlines()[-1] == (
        f'error: the crop of {image_folder / "astronaut.png"} would replace '
        f'the photo: the folder for the cropped images ({image_folder}) '
        'holds the images themselves; choose another folder')
    proc = run_tool(image_folder, '--out', tmp_path / 'a.csv', '--json-dir',
                    tmp_path / 'json')
    assert proc.returncode == 2 and 'Traceback' not in proc.stderr
    assert proc.stderr.splitlines()[-1].startswith(
        f'error: {image_folder / "empty.jpg"} and '
        f'{image_folder / "empty.png"} would both write '
        f'{tmp_path / "json" / "empty.json"}')
    assert {p.name: p.read_bytes() for p in image_folder.iterdir()} == before
    assert not (tmp_path / 'a.csv').exists()
