"""RATE-Net through MMagic's inference API, on a tiny random checkpoint."""
import cv2
import numpy as np
import pytest
import torch
from mmagic.apis import MMagicInferencer
from mmagic.apis.inferencers.base_mmagic_inferencer import \
    BaseMMagicInferencer

from ratenet_plugin.apis import RATENetInferencer, write_keypoint_json
from ratenet_plugin.apis.mmagic_inferencer import (PoseTransferInferencer,
                                                   RATENetMMagicInferencer)
from tests.apis.inference_testing import OUT_SIZE, tiny_config


@pytest.fixture(scope='module')
def inputs(tmp_path_factory, astronaut, astronaut_keypoints) -> dict:
    """The astronaut photo, its pose, and a target pose (its mirror)."""
    folder = tmp_path_factory.mktemp('inputs')
    photo = str(folder / 'astronaut.png')
    cv2.imwrite(photo, astronaut[..., ::-1])
    source_pose, target_pose = str(folder / 'src.json'), str(
        folder / 'tgt.json')
    write_keypoint_json(source_pose, astronaut_keypoints, astronaut.shape[:2])
    mirrored = astronaut_keypoints.copy()
    mirrored[mirrored[:, 0] >= 0, 0] = 511 - mirrored[mirrored[:, 0] >= 0, 0]
    write_keypoint_json(target_pose, mirrored, astronaut.shape[:2])
    return dict(img=photo, source_pose=source_pose, target_pose=target_pose)


def test_mmagic_entry_point_infers_like_our_inferencer(checkpoint, inputs,
                                                       tmp_path):
    editor = RATENetMMagicInferencer(
        model_config=tiny_config(), model_ckpt=checkpoint, device='cpu')
    assert isinstance(editor, MMagicInferencer)
    assert isinstance(editor.inferencer, BaseMMagicInferencer)
    out_file = tmp_path / 'out' / 'result.png'
    # MMagic's own infer(): its keywords plus ours, dispatched by MMagic.
    result, images = editor.infer(result_out_dir=str(out_file), **inputs)
    assert result['result'].shape == OUT_SIZE + (3, )
    assert result['result'].dtype == np.uint8
    np.testing.assert_array_equal(images[0], result['result'])
    written = cv2.imread(str(out_file))[..., ::-1]
    np.testing.assert_array_equal(written, result['result'])

    ours = RATENetInferencer(tiny_config(), checkpoint)
    expected = ours(inputs['img'], inputs['target_pose'],
                    source_pose=inputs['source_pose'])['predictions'][0]
    ours.close()
    np.testing.assert_array_equal(result['result'], expected['result'])
    np.testing.assert_allclose(result['target_keypoints'],
                               expected['target_keypoints'])


def test_batches_and_extra_parameters(checkpoint, inputs, tmp_path):
    inferencer = PoseTransferInferencer(
        tiny_config(), checkpoint, device='cpu',
        extra_parameters=dict(crop='full', amp=True))
    assert inferencer.get_extra_parameters() == [
        'crop', 'min_visibility', 'amp', 'channels_last'
    ]
    assert inferencer.ratenet.crop == 'full'
    assert inferencer.ratenet.autocast_dtype == torch.bfloat16
    # The class default is untouched (MMagic updates the dict in place).
    assert PoseTransferInferencer.extra_parameters['crop'] == 'person'
    out_file = tmp_path / 'two.png'
    results, _ = inferencer(
        img=[inputs['img']] * 2,
        target_pose=[inputs['target_pose'], inputs['source_pose']],
        source_pose=[inputs['source_pose']] * 2, result_out_dir=str(out_file))
    assert [r['result'].shape for r in results] == [OUT_SIZE + (3, )] * 2
    # Two results side by side with a 4-pixel gap.
    assert cv2.imread(str(out_file)).shape == (OUT_SIZE[0],
                                               2 * OUT_SIZE[1] + 4, 3)
    with pytest.raises(ValueError, match="unknown extra_parameters \\['cop'"):
        PoseTransferInferencer(tiny_config(), checkpoint,
                               extra_parameters=dict(cop='full'))
    with pytest.raises(ValueError, match='must pair up'):
        inferencer(img=[inputs['img']] * 2, target_pose=inputs['target_pose'])


def test_extra_parameters_given_at_call_time_apply(checkpoint, inputs):
    """MMagic's ``infer(..., extra_parameters=...)`` changes what is
    generated (the crop), not only what is reported; a list of one input
    gives a list of one result."""
    editor = RATENetMMagicInferencer(
        model_config=tiny_config(), model_ckpt=checkpoint, device='cpu')
    person, _ = editor.infer(**inputs)
    full, _ = editor.infer(extra_parameters=dict(crop='full'), **inputs)
    assert editor.inferencer.extra_parameters['crop'] == 'full'
    assert editor.inferencer.ratenet.crop == 'full'
    assert not np.array_equal(person['result'], full['result'])
    built_full = PoseTransferInferencer(
        tiny_config(), checkpoint, device='cpu',
        extra_parameters=dict(crop='full'))
    expected, _ = built_full(**inputs)
    np.testing.assert_array_equal(full['result'], expected['result'])
    listed, _ = built_full(**{k: [v] for k, v in inputs.items()})
    assert isinstance(listed, list) and len(listed) == 1
    np.testing.assert_array_equal(listed[0]['result'], expected['result'])
    for wrong, message in ((dict(crop='fll'), 'crop must be one of'),
                           (dict(amp=True), 'amp is set when the inferencer'),
                           (dict(cop='full'), 'unknown extra_parameters')):
        with pytest.raises(ValueError, match=message):
            editor.infer(extra_parameters=wrong, **inputs)
