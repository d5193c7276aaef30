import json
import os.path as osp
import subprocess
import sys

import cv2
import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope

from ratenet_plugin.apis import (EmptyPoseError, FrameCrop, ImageFileError,
                                 KeypointFormatError, NoPersonError,
                                 PairInput, PoseKeypoints, RATENetInferencer,
                                 write_keypoint_json)
from ratenet_plugin.datasets import DeepFashionPoseDataset
from ratenet_plugin.datasets.synthetic import generate_synthetic_deepfashion
from ratenet_plugin.fileio.checkpoint_file import (CheckpointError,
                                                   CheckpointMismatchError)
from ratenet_plugin.fileio.errors import UserInputError
from ratenet_plugin.fileio.patn_csv import read_annotation_csv
from ratenet_plugin.registry import MODELS
from tests.apis.inference_testing import FRAME, OUT_SIZE, tiny_config
from tests.tools.tool_testing import load_script, load_tool

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


@pytest.fixture(scope='module')
def photos(tmp_path_factory, astronaut) -> dict:
    folder = tmp_path_factory.mktemp('photos')
    paths = dict(
        astronaut=folder / 'astronaut.png',
        mirrored=folder / 'mirrored.png',
        empty=folder / 'empty.png',
        zero_bytes=folder / 'zero_bytes.png')
    paths['zero_bytes'].write_bytes(b'')
    cv2.imwrite(str(paths['astronaut']), astronaut[..., ::-1])
    cv2.imwrite(str(paths['mirrored']), astronaut[:, ::-1, ::-1])
    cv2.imwrite(str(paths['empty']), np.full((80, 60, 3), 230, np.uint8))
    return {k: str(v) for k, v in paths.items()}


def standing_pose() -> np.ndarray:
    """A full-body COCO-18 skeleton in a 256x176 frame."""
    kpts = np.array(
        [[88, 30], [88, 55], [68, 56], [60, 95], [58, 130], [108, 56],
         [116, 95], [118, 130], [76, 130], [74, 180], [72, 230], [100, 130],
         [102, 180], [104, 230], [84, 26], [92, 26], [80, 28], [96, 28]],
        np.float32)
    kpts[4] = -1
    return kpts


def present(keypoints: np.ndarray) -> np.ndarray:
    return (keypoints >= 0).all(axis=1)


def test_astronaut_to_json_pose_writes_configured_size(
        inferencer, photos, tmp_path):
    pose_file = str(tmp_path / 'pose.json')
    write_keypoint_json(pose_file, standing_pose(), (256, 176))
    out = inferencer(photos['astronaut'], pose_file,
                     result_out_dir=str(tmp_path / 'out'), save_panel=True)
    (pred, ) = out['predictions']
    assert pred['name'] == 'astronaut___pose'
    assert pred['result'].shape == OUT_SIZE + (3, )
    assert pred['result'].dtype == np.uint8
    written = cv2.imread(str(tmp_path / 'out' / 'astronaut___pose.png'))
    np.testing.assert_array_equal(written[..., ::-1], pred['result'])
    panel = cv2.imread(str(tmp_path / 'out' / 'astronaut___pose_panel.png'))
    assert panel.shape == (OUT_SIZE[0], 3 * OUT_SIZE[1] + 8, 3)
    # The target skeleton was fitted into the frame: every joint that was
    # present is still there, and none left the 64x64 input.
    kpts = pred['target_keypoints']
    present = kpts[:, 0] >= 0
    assert present.sum() == 17
    assert (kpts[present] < OUT_SIZE[::-1]).all()


def test_checkpoint_weights_drive_the_result(inferencer, checkpoint, photos):
    state = torch.load(checkpoint, weights_only=True)['state_dict']
    for key, value in inferencer.model.state_dict().items():
        torch.testing.assert_close(value, state[key])
    first = inferencer(photos['astronaut'], photos['mirrored'])
    second = inferencer(photos['astronaut'], photos['mirrored'])
    np.testing.assert_array_equal(first['predictions'][0]['result'],
                                  second['predictions'][0]['result'])
    other = RATENetInferencer(tiny_config(), None)
    third = other(photos['astronaut'], photos['mirrored'])
    assert not np.array_equal(first['predictions'][0]['result'],
                              third['predictions'][0]['result'])


def test_inference_model_generates_what_the_whole_model_does(
        inferencer, checkpoint, photos):
    """The inferencer's RATENet has no discriminators and no VGG (their
    weights in the checkpoint are not read) and generates exactly what the
    whole model, loaded from the same checkpoint, generates."""
    model = inferencer.model
    assert not model.can_train
    assert (model.shape_discriminator, model.appearance_discriminator,
            model.perceptual_loss) == (None, None, None)
    init_default_scope('mmagic')
    whole = MODELS.build(tiny_config().model)
    whole.load_state_dict(
        torch.load(checkpoint, weights_only=True)['state_dict'])
    whole.eval()
    prepared = inferencer.prepare(
        PairInput(photos['astronaut'], standing_pose()))
    expected, result = (
        net.test_step(inferencer.collate_fn([prepared['packed']]))[0]
        for net in (whole, model))
    torch.testing.assert_close(result.output.pred_img,
                               expected.output.pred_img, rtol=0, atol=0)


def generator_convs(inferencer: RATENetInferencer) -> list:
    return [
        m for m in inferencer.model.generator.modules()
        if isinstance(m, torch.nn.Conv2d)
    ]


def test_fast_paths_of_the_config_apply_to_generation(inferencer, checkpoint,
                                                      photos):
    """fast_paths=dict(amp=True, channels_last=True): the generator runs in
    bfloat16 on channels_last weights, and its image stays within bf16's
    tolerance of float32's (0.05 in [-2, 2]: 7 levels of 8 bits); a flag
    beats the config; tiny_config has no fast_paths: float32."""
    assert inferencer.autocast_dtype is None
    config = tiny_config()
    config.fast_paths = dict(amp=True, channels_last=True)
    fast = RATENetInferencer(config, checkpoint)
    assert fast.autocast_dtype == torch.bfloat16
    convs = generator_convs(fast)
    assert all(
        conv.weight.is_contiguous(memory_format=torch.channels_last)
        for conv in convs)
    dtypes = []
    handle = convs[-1].register_forward_hook(
        lambda module, args, output: dtypes.append(output.dtype))
    result = fast(photos['astronaut'], photos['mirrored'])
    handle.remove()
    assert dtypes and set(dtypes) == {torch.bfloat16}
    expected = inferencer(photos['astronaut'], photos['mirrored'])
    difference = np.abs(
        result['predictions'][0]['result'].astype(int) -
        expected['predictions'][0]['result'].astype(int))
    assert difference.max() <= 7
    fast.close()

    plain = RATENetInferencer(config, checkpoint, amp=False,
                              channels_last=False)
    assert plain.autocast_dtype is None
    assert not generator_convs(plain)[0].weight.is_contiguous(
        memory_format=torch.channels_last)
    np.testing.assert_array_equal(
        plain(photos['astronaut'],
              photos['mirrored'])['predictions'][0]['result'],
        expected['predictions'][0]['result'])
    plain.close()


def test_bgr_evaluation_outputs_give_the_same_rgb_result(
        inferencer, checkpoint, photos):
    bgr_config = tiny_config()
    bgr_config.model.data_preprocessor = dict(
        type='PoseDataPreprocessor', eval_channel_order='BGR')
    bgr = RATENetInferencer(bgr_config, checkpoint)
    expected = inferencer(photos['astronaut'], photos['mirrored'])
    result = bgr(photos['astronaut'], photos['mirrored'])
    bgr.close()
    np.testing.assert_array_equal(result['predictions'][0]['result'],
                                  expected['predictions'][0]['result'])


def test_target_pose_formats(inferencer, photos, astronaut, tmp_path):
    kpts = standing_pose()
    openpose_file = str(tmp_path / 'openpose.json')
    write_keypoint_json(openpose_file, kpts, fmt='openpose')
    out = inferencer(
        [photos['astronaut'], astronaut, photos['astronaut']],
        [openpose_file, PoseKeypoints(kpts, (256, 176)), kpts],
        batch_size=2)
    results = [p['result'] for p in out['predictions']]
    assert len(results) == 3 and all(r.shape == OUT_SIZE + (3, )
                                     for r in results)
    # Same source, same skeleton, three formats: same image (up to a grey
    # level of rounding: batches of 2 and 1 take different float paths).
    for other in results[1:]:
        np.testing.assert_allclose(other, results[0], atol=1)


def test_full_crop_mode_keeps_the_whole_target_frame(checkpoint, photos):
    inferencer = RATENetInferencer(tiny_config(), checkpoint, crop='full')
    kpts = standing_pose() * (FRAME[0] / 256)
    out = inferencer(photos['astronaut'], PoseKeypoints(kpts, FRAME))
    moved = out['predictions'][0]['target_keypoints']
    # FRAME -> (64, 64) pads 10 columns each side, no scaling.
    present = kpts[:, 0] >= 0
    np.testing.assert_allclose(moved[present], kpts[present] + (10, 0),
                               atol=0.6)
    inferencer.close()


def test_pairs_batch_mode_skips_bad_pairs(inferencer, photos, tmp_path):
    folder = osp.dirname(photos['astronaut'])
    pairs = tmp_path / 'pairs.csv'
    pairs.write_text('from,to\nastronaut.png,mirrored.png\n'
                     'zero_bytes.png,astronaut.png\n'
                     'mirrored.png,astronaut.png\nastronaut.png,empty.png\n'
                     'missing.png,astronaut.png\n')
    messages = []
    written, failed = inferencer.infer_pairs(
        str(pairs), folder, str(tmp_path / 'results'), save_panel=True,
        log=messages.append)
    assert [osp.basename(w) for w in written] == [
        'astronaut___mirrored.png', 'mirrored___astronaut.png'
    ]
    assert all(cv2.imread(w).shape == OUT_SIZE + (3, ) for w in written)
    assert failed == ['zero_bytes.png -> astronaut.png',
                      'astronaut.png -> empty.png',
                      'missing.png -> astronaut.png']
    assert 'line 3' in messages[0] and 'zero_bytes.png: empty file (0 ' \
        'bytes)' in messages[0]
    assert 'line 5' in messages[1] and 'no person found' in messages[1]
    assert 'line 6' in messages[2] and 'missing.png' in messages[2]


def test_pairs_batch_mode_reads_source_poses_from_the_pose_dir(
        inferencer, photos, tmp_path):
    """``pose_dir/<from stem>.json``, where it exists, is the source's pose
    (the benchmark's annotated poses; MediaPipe ran on every source
    before): the result is the single call's with that source pose."""
    folder = osp.dirname(photos['astronaut'])
    height, width = cv2.imread(photos['astronaut']).shape[:2]
    poses = tmp_path / 'poses'
    poses.mkdir()
    source = standing_pose() * (height / 256)
    write_keypoint_json(str(poses / 'astronaut.json'), source,
                        (height, width))
    write_keypoint_json(str(poses / 'mirrored.json'), standing_pose(),
                        (256, 176))
    pairs = tmp_path / 'pairs.csv'
    pairs.write_text('from,to\nastronaut.png,mirrored.png\n')
    written, failed = inferencer.infer_pairs(
        str(pairs), folder, str(tmp_path / 'results'), pose_dir=str(poses))
    assert failed == []
    single = inferencer(
        photos['astronaut'], str(poses / 'mirrored.json'),
        source_pose=str(poses / 'astronaut.json'))['predictions'][0]
    np.testing.assert_array_equal(
        cv2.imread(written[0])[..., ::-1], single['result'])
    extracted = inferencer(photos['astronaut'],
                           str(poses / 'mirrored.json'))['predictions'][0]
    assert not np.array_equal(extracted['result'], single['result'])
    # A JSON written for another size (a crop's) is not the source's: its
    # pose is extracted, as without the file, and the log says so.
    write_keypoint_json(str(poses / 'astronaut.json'), standing_pose(),
                        (256, 176))
    messages = []
    written, failed = inferencer.infer_pairs(
        str(pairs), folder, str(tmp_path / 'again'), pose_dir=str(poses),
        log=messages.append)
    assert failed == [] and len(messages) == 1
    assert messages[0].startswith(f'{pairs}, line 2: ')
    assert messages[0].endswith("the source's pose is extracted instead")
    np.testing.assert_array_equal(
        cv2.imread(written[0])[..., ::-1], extracted['result'])


def test_pairs_are_written_a_batch_at_a_time_under_unique_names(
        inferencer, photos, tmp_path):
    """Results reach the disk as their batch is generated (a long pairs
    file does not wait in memory for its end), and two pairs whose names
    coincide (``a.png,b`` and ``a.jpg,b``) both keep their result."""
    folder = tmp_path / 'images'
    folder.mkdir()
    astronaut = cv2.imread(photos['astronaut'])
    cv2.imwrite(str(folder / 'astronaut.png'), astronaut)
    cv2.imwrite(str(folder / 'astronaut.jpg'), astronaut)
    cv2.imwrite(str(folder / 'mirrored.png'), astronaut[:, ::-1])
    pairs = tmp_path / 'pairs.csv'
    pairs.write_text('from,to\nastronaut.png,mirrored.png\n'
                     'astronaut.jpg,mirrored.png\nmissing.png,mirrored.png\n'
                     'mirrored.png,astronaut.png\n')
    results = tmp_path / 'results'
    on_disk_at_the_bad_pair = []
    written, failed = inferencer.infer_pairs(
        str(pairs), str(folder), str(results), batch_size=2,
        log=lambda _: on_disk_at_the_bad_pair.append(
            sorted(p.name for p in results.iterdir())))
    names = ['astronaut___mirrored.png', 'astronaut___mirrored_2.png',
             'mirrored___astronaut.png']
    assert [osp.basename(w) for w in written] == names
    assert sorted(p.name for p in results.iterdir()) == sorted(names)
    assert on_disk_at_the_bad_pair == [names[:2]]
    assert failed == ['missing.png -> mirrored.png']


def test_results_of_one_call_never_share_a_name(inferencer, photos,
                                                tmp_path):
    """Two array targets are both named ``<source>___pose``; each keeps its
    own file."""
    other = standing_pose()
    other[present(other)] += (10, 0)
    outputs = inferencer([photos['astronaut']] * 2,
                         [standing_pose(), other],
                         source_pose=[PoseKeypoints(standing_pose())] * 2,
                         result_out_dir=str(tmp_path))
    names = [p['name'] for p in outputs['predictions']]
    assert names == ['astronaut___pose', 'astronaut___pose_2']
    for name, prediction in zip(names, outputs['predictions']):
        np.testing.assert_array_equal(
            cv2.imread(str(tmp_path / f'{name}.png'))[..., ::-1],
            prediction['result'])


def test_a_source_pose_of_another_image_size_is_refused(inferencer, photos,
                                                        tmp_path):
    """Keypoints written for a 256x176 crop, given with the 512x512 photo:
    the person would be placed wrongly without a word."""
    pose = tmp_path / 'crop_pose.json'
    write_keypoint_json(str(pose), standing_pose(), (256, 176))
    with pytest.raises(KeypointFormatError,
                       match=f'{pose}: keypoints of a 256x176 image, but the '
                       f'source image {photos["astronaut"]} is 512x512'):
        inferencer(photos['astronaut'], standing_pose(),
                   source_pose=str(pose))


def test_an_array_pose_of_another_shape_is_refused(inferencer, photos):
    """Neither (18, 2) keypoints nor an (H, W, 3) image (e.g. 17 COCO
    joints): named, not sent to MediaPipe as a picture."""
    with pytest.raises(ValueError,
                       match=r'source_pose of .*astronaut.png: an array must '
                       r'be \(18, 2\) keypoints .* got shape \(17, 2\)'):
        inferencer(photos['astronaut'], standing_pose(),
                   source_pose=standing_pose()[:17])
    with pytest.raises(ValueError, match=r'target_pose .* \(18, 3\)'):
        inferencer(photos['astronaut'], np.zeros((18, 3), np.float32))


def test_no_person_in_source_is_a_clear_error(inferencer, photos):
    with pytest.raises(NoPersonError, match='source image .*empty.png'):
        inferencer(photos['empty'], standing_pose())


def test_malformed_target_json(inferencer, photos, tmp_path):
    bad = tmp_path / 'bad.json'
    bad.write_text('{"format": "coco18", "keypoints": [[1, 2]]}')
    with pytest.raises(KeypointFormatError, match='bad.json'):
        inferencer(photos['astronaut'], str(bad))
    with pytest.raises(KeypointFormatError, match='read_patn_pose'):
        inferencer(photos['astronaut'], str(tmp_path / 'ann.csv'))


def test_damaged_inputs_name_their_files(inferencer, photos, tmp_path):
    zero = tmp_path / 'zero_confidence.json'
    zero.write_text('{"people": [{"pose_keypoints_2d": [%s]}]}' %
                    ', '.join(['10.0, 20.0, 0.0'] * 18))
    with pytest.raises(EmptyPoseError, match=f'{zero}: person 0 has no '
                       'joint present'):
        inferencer(photos['astronaut'], str(zero))
    data = open(photos['astronaut'], 'rb').read()
    half = tmp_path / 'half.png'
    half.write_bytes(data[:len(data) // 2])
    with pytest.raises(ImageFileError, match=f'damaged image {half}: '
                       'truncated'):
        inferencer(str(half), standing_pose())


def _fmt(values) -> str:
    return '[' + ', '.join(str(int(v)) for v in values) + ']'


def test_patn_row_gives_inference_the_dataset_keypoints(checkpoint,
                                                         tmp_path):
    """The same PATN row through the real dataset and the real inferencer
    preprocessing: identical keypoints, heatmaps and source image."""
    root = tmp_path / 'data'
    generate_synthetic_deepfashion(
        str(root), num_identities=1, poses_per_identity=2,
        num_test_identities=1, height=FRAME[0], width=FRAME[1], seed=3,
        image_format='png')
    source, target = read_annotation_csv(
        str(root / 'fasion-resize-annotation-test.csv'))
    # The target row gets the cases two readers used to disagree on: a
    # joint 3 px left of the frame (clipped), one far below it (missing),
    # a negative coordinate that is not PATN's -1 marker (clipped).
    xs, ys = target.keypoints[:, 0].copy(), target.keypoints[:, 1].copy()
    near, far, negative = np.flatnonzero((target.keypoints >= 0).all(1))[:3]
    xs[near], ys[far], xs[negative] = -3, FRAME[0] + 40, -2
    ann = root / 'ann.csv'
    ann.write_text(
        'name:keypoints_y:keypoints_x\n'
        f'{source.name}: {_fmt(source.keypoints[:, 1])}: '
        f'{_fmt(source.keypoints[:, 0])}\n'
        f'{target.name}: {_fmt(ys)}: {_fmt(xs)}\n')
    pairs = root / 'pairs.csv'
    pairs.write_text(f'from,to\n{source.name},{target.name}\n')
    cfg = tiny_config()
    dataset = DeepFashionPoseDataset(
        str(ann), str(pairs), data_prefix=dict(img=str(root / 'test')),
        keypoint_frame=FRAME, pipeline=cfg.test_dataloader.dataset.pipeline,
        test_mode=True)
    from_dataset = dataset[0]

    inferencer = RATENetInferencer(cfg, checkpoint, crop='full')
    prepared = inferencer.prepare(PairInput(
        str(root / 'test' / source.name),
        inferencer.read_patn_pose(str(ann), target.name),
        source_pose=inferencer.read_patn_pose(str(ann), source.name)))
    inferencer.close()
    from_inference = prepared['packed']
    tgt_keypoints = from_dataset['data_samples'].metainfo['tgt_keypoints']
    assert (tgt_keypoints[[near, negative], 0] == 10).all()  # 0, padded
    assert (tgt_keypoints[far] == -1).all()
    for key in ('src_keypoints', 'tgt_keypoints'):
        np.testing.assert_array_equal(
            from_inference['data_samples'].metainfo[key],
            from_dataset['data_samples'].metainfo[key])
    for key in ('src_img', 'src_pose', 'tgt_pose'):
        torch.testing.assert_close(from_inference['inputs'][key],
                                   from_dataset['inputs'][key], rtol=0,
                                   atol=0)


def test_missing_or_wrong_checkpoint(tmp_path, checkpoint):
    with pytest.raises(CheckpointError) as info:
        RATENetInferencer(tiny_config(), str(tmp_path / 'nothing.pth'))
    assert str(info.value).startswith(
        f'checkpoint not found: {tmp_path / "nothing.pth"}; pass the path of '
        'a .pth file written by tools/train.py')
    with pytest.raises(CheckpointError, match='checkpoint is a folder'):
        RATENetInferencer(tiny_config(), str(tmp_path))
    with pytest.raises(UserInputError, match='config file not found'):
        RATENetInferencer(str(tmp_path / 'nothing.py'), checkpoint)
    wider = tiny_config()
    wider.model.generator.pose_transfer.base_channels = 16
    with pytest.raises(CheckpointMismatchError) as error:
        RATENetInferencer(wider, checkpoint)
    message = str(error.value)
    assert checkpoint in message and 'wrong shapes' in message
    assert 'generator.pose_transfer.image_encoder.0.conv.weight' in message
    # A checkpoint lacking a key is refused too (not loaded non-strictly).
    state = torch.load(checkpoint)
    del state['state_dict']['generator.pose_transfer.head.conv.bias']
    partial = str(tmp_path / 'partial.pth')
    torch.save(state, partial)
    with pytest.raises(CheckpointMismatchError,
                       match='1 missing.*generator.pose_transfer.head'):
        RATENetInferencer(tiny_config(), partial)


# The arguments each generating tool requires besides the shared ones.
TOOL_ARGS = {
    'infer': ['--source', 's.png', '--target-pose', 'p.json', '--out',
              'o.png'],
    'animate': ['--source', 's.png', '--poses', 'seq', '--out', 'o.gif'],
    'web_app': [],
}


@pytest.mark.parametrize('tool_name', sorted(TOOL_ARGS))
def test_generating_tools_pass_their_flags_to_the_inferencer(
        tool_name, checkpoint, tmp_path):
    config = tmp_path / 'tiny_config.py'
    tiny_config().dump(str(config))
    module = load_script('demo/ratenet_gradio.py') if tool_name == 'web_app' \
        else load_tool(tool_name)
    common = ['--config', str(config), '--checkpoint', checkpoint
              ] + TOOL_ARGS[tool_name]

    def built(flags):
        args = module.parse_args(common + flags)
        if tool_name == 'web_app':
            return module.build_app(args).inferencer
        return RATENetInferencer.from_args(args)

    # The tiny config has no fast_paths: float32, contiguous weights, unless
    # the flags say otherwise.
    plain = built([])
    assert plain.autocast_dtype is None and plain.crop == 'person'
    assert not generator_convs(plain)[0].weight.is_contiguous(
        memory_format=torch.channels_last)
    plain.close()
    flagged = built(['--amp', '--channels-last', '--crop', 'full'])
    assert flagged.autocast_dtype == torch.bfloat16
    assert generator_convs(flagged)[0].weight.is_contiguous(
        memory_format=torch.channels_last)
    assert flagged.crop == 'full'
    flagged.close()


def test_cli_single_pair_and_clear_errors(checkpoint, photos, tmp_path):
    config = tmp_path / 'tiny_config.py'
    tiny_config().dump(str(config))
    tool = load_tool('infer')
    common = ['--config', str(config), '--checkpoint', checkpoint]
    out, panel = tmp_path / 'r' / 'result.png', tmp_path / 'panel.png'
    assert tool.main(common + [
        '--source', photos['astronaut'], '--target-pose', photos['mirrored'],
        '--out', str(out), '--panel', str(panel)
    ]) == 0
    assert cv2.imread(str(out)).shape == OUT_SIZE + (3, )
    assert cv2.imread(str(panel)).shape[0] == OUT_SIZE[0]

    ann = tmp_path / 'ann.csv'
    ann.write_text('name:keypoints_y:keypoints_x\n'
                   'p.jpg: [10, 20, 20, 30, 40, 20, 30, 40, 40, 50, 60, 40, '
                   '50, 60, 8, 8, 9, 9]: [22, 22, 16, 14, 12, 28, 30, 32, 18,'
                   ' 18, 18, 26, 26, 26, 20, 24, 18, 26]\n')
    assert tool.main(common + [
        '--source', photos['astronaut'], '--target-pose', str(ann),
        '--target-name', 'p.jpg', '--out', str(tmp_path / 'row.png')
    ]) == 0

    # main() raises; tools/infer.py's run_tool prints them as one 'error:'
    # line (tests/utils/test_cli.py runs the tool as a process).
    with pytest.raises(NoPersonError, match='no person found in the source'):
        tool.main(common + [
            '--source', photos['empty'], '--target-pose',
            photos['astronaut'], '--out', str(tmp_path / 'x.png')
        ])
    with pytest.raises(CheckpointError, match='checkpoint not found'):
        tool.main(common[:2] + [
            '--checkpoint', str(tmp_path / 'none.pth'), '--source',
            photos['astronaut'], '--target-pose', photos['astronaut'],
            '--out', str(tmp_path / 'x.png')
        ])


def test_demo_config_with_random_checkpoint(photos, tmp_path):
    """The shipped demo config: the result has its 64x44 frame."""
    demo = osp.join(ROOT, 'configs', 'ratenet',
                    'ratenet_demo_1xb4-1600cycles_synthetic-64x44.py')
    cfg = Config.fromfile(demo)
    init_default_scope('mmagic')
    model = MODELS.build(cfg.model)
    model.init_weights()
    checkpoint = str(tmp_path / 'demo.pth')
    torch.save(dict(meta=dict(), state_dict=model.state_dict()), checkpoint)
    inferencer = RATENetInferencer(demo, checkpoint)
    out = inferencer(photos['astronaut'], photos['mirrored'],
                     result_out_dir=str(tmp_path))
    inferencer.close()
    frame = tuple(cfg.test_dataloader.dataset.keypoint_frame)
    assert out['predictions'][0]['result'].shape == frame + (3, )
    assert cv2.imread(str(tmp_path / 'astronaut___mirrored.png')).shape == \
        frame + (3, )


def test_target_crop_source_moves_the_target_with_the_source(
        inferencer, astronaut, astronaut_keypoints):
    """Keypoints in the source photo's pixels land where the source's own
    joints land; a FrameCrop for another frame is refused."""
    prepared = inferencer.prepare(
        PairInput(astronaut, astronaut_keypoints.copy(),
                  source_pose=astronaut_keypoints, target_crop='source'))
    metainfo = prepared['packed']['data_samples'].metainfo
    np.testing.assert_allclose(metainfo['tgt_keypoints'],
                               metainfo['src_keypoints'])
    with pytest.raises(ValueError, match='target_crop maps to'):
        inferencer.prepare(
            PairInput(astronaut, astronaut_keypoints,
                      source_pose=astronaut_keypoints,
                      target_crop=FrameCrop(0, 0, 10, 10, (8, 8))))


def _run_tool(*args) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, osp.join(ROOT, 'tools', 'infer.py'), *map(str, args)],
        cwd=ROOT, capture_output=True, text=True, timeout=600)


def test_tool_pairs_mode_writes_the_good_pairs_and_exits_1(
        checkpoint, photos, tmp_path):
    config = tmp_path / 'tiny_config.py'
    tiny_config().dump(str(config))
    pairs = tmp_path / 'pairs.csv'
    pairs.write_text('from,to\nzero_bytes.png,astronaut.png\n'
                     'astronaut.png,mirrored.png\n')
    out_dir = tmp_path / 'results'
    result = _run_tool('--config', config, '--checkpoint', checkpoint,
                       '--pairs', pairs, '--image-dir',
                       osp.dirname(photos['astronaut']), '--out-dir', out_dir)
    assert result.returncode == 1, result.stderr[-3000:]
    assert 'Traceback' not in result.stderr
    assert f'{pairs}, line 2 (zero_bytes.png -> astronaut.png): skipped: ' \
        f'damaged image {photos["zero_bytes"]}: empty file (0 bytes)' \
        in result.stdout
    assert f'wrote 1 results to {out_dir}, 1 pairs skipped' in result.stdout
    assert sorted(p.name for p in out_dir.iterdir()) == [
        'astronaut___mirrored.png'
    ]


@pytest.mark.parametrize('kind, problem', [
    ('truncated', 'is truncated'),
    ('malicious', 'it would call posix.system while loading, so it was '
     'refused for safety and nothing in it was run'),
])
def test_tool_damaged_or_unsafe_checkpoint_is_one_error_line(
        photos, tmp_path, bad_checkpoints, kind, problem):
    config = tmp_path / 'tiny_config.py'
    tiny_config().dump(str(config))
    result = _run_tool('--config', config, '--checkpoint',
                       bad_checkpoints[kind], '--source', photos['astronaut'],
                       '--target-pose', photos['mirrored'], '--out',
                       tmp_path / 'x.png')
    assert result.returncode == 2, result.stderr[-3000:]
    # (Importing MMagic may print library warnings before it.)
    assert result.stderr.splitlines()[-1].startswith(
        f'error: checkpoint {bad_checkpoints[kind]} ')
    assert problem in result.stderr
    assert 'Traceback' not in result.stderr
    assert not bad_checkpoints['marker'].exists()
    assert not (tmp_path / 'x.png').exists()


#: What one inference must not import (docs/benchmarks.md, "Start-up"):
#: MMagic's model zoo, metrics, data transforms, inferencers and what they
#: pull in, our modules that subclass them, MediaPipe when keypoints are
#: given, and MMEngine's training-only optional imports (ZeRO, Adafactor).
NOT_IMPORTED_BY_INFERENCE = (
    'mmagic.models', 'mmagic.evaluation', 'mmagic.datasets', 'mmagic.apis',
    'mmagic.engine', 'mmagic.visualization', 'diffusers', 'albumentations',
    'sklearn', 'scipy', 'pandas', 'numba', 'matplotlib', 'mediapipe',
    'ratenet_plugin.evaluation', 'ratenet_plugin.models.losses',
    'ratenet_plugin.models.editors.pose_pix2pix', 'transformers',
    'torch.distributed.optim')

# Runs a tool as `python tool args...` does and writes the names of the
# modules it imported to the file named by the first argument.
MODULES_DRIVER = '''
import json, runpy, sys
out, sys.argv = sys.argv[1], sys.argv[2:]
try:
    runpy.run_path(sys.argv[0], run_name='__main__')
finally:
    with open(out, 'w') as file:
        json.dump(sorted(sys.modules), file)
'''


def test_tool_single_pair_imports_no_model_zoo(checkpoint, photos,
                                               tmp_path):
    """One tools/infer.py call with keypoint files runs without MMagic's
    model zoo, metrics and data transforms (90 % of its start-up before)."""
    config = tmp_path / 'tiny_config.py'
    # The fast paths as the real configs set them: choosing the layout
    # must not look the model up in MMagic's whole zoo either.
    cfg = tiny_config()
    cfg.fast_paths = dict(amp='auto', channels_last='auto')
    cfg.dump(str(config))
    source_pose, target_pose = tmp_path / 'src.json', tmp_path / 'tgt.json'
    # The source pose in the 512x512 photo's pixels, the target in a frame.
    write_keypoint_json(str(source_pose), standing_pose() * 2, (512, 512))
    write_keypoint_json(str(target_pose), standing_pose(), (256, 176))
    driver, modules = tmp_path / 'driver.py', tmp_path / 'modules.json'
    driver.write_text(MODULES_DRIVER)
    result = subprocess.run(
        [sys.executable, driver, modules, osp.join(ROOT, 'tools', 'infer.py'),
         '--config', config, '--checkpoint', checkpoint, '--source',
         photos['astronaut'], '--source-pose', source_pose, '--target-pose',
         target_pose, '--out', tmp_path / 'result.png'],
        cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    assert cv2.imread(str(tmp_path / 'result.png')).shape == OUT_SIZE + (3, )
    imported = set(json.loads(modules.read_text()))
    assert 'ratenet_plugin.models.editors.ratenet.ratenet' in imported
    assert imported.isdisjoint(NOT_IMPORTED_BY_INFERENCE), sorted(
        imported.intersection(NOT_IMPORTED_BY_INFERENCE))


def test_tool_zero_byte_source_is_one_error_line(checkpoint, photos,
                                                 tmp_path):
    config = tmp_path / 'tiny_config.py'
    tiny_config().dump(str(config))
    result = _run_tool('--config', config, '--checkpoint', checkpoint,
                       '--source', photos['zero_bytes'], '--target-pose',
                       photos['mirrored'], '--out', tmp_path / 'x.png')
    assert result.returncode == 2
    assert result.stderr.splitlines()[-1].startswith(
        f'error: damaged image {photos["zero_bytes"]}: empty file (0 bytes)')
    assert 'Traceback' not in result.stderr


def test_a_misspelt_model_key_is_named(checkpoint):
    cfg = tiny_config()
    cfg.model.generator.pose_transfer.num_blokcs = 1
    with pytest.raises(UserInputError) as info:
        RATENetInferencer(cfg, checkpoint)
    assert str(info.value) == (
        'config key model.generator.pose_transfer.num_blokcs: '
        "PoseTransferModule takes no argument 'num_blokcs' (did you mean "
        'num_blocks?); fix the config or --cfg-options')


def test_a_target_pose_that_cannot_be_framed_is_refused(checkpoint, photos,
                                                        inferencer, tmp_path):
    """All joints framed away (crop='full' takes a pose without an image
    size to be in the model's frame: an OpenPose file of a 256x176 photo
    lies outside 64x44), or a single joint: refused, not drawn as a smear."""
    openpose = str(tmp_path / 'openpose.json')
    write_keypoint_json(openpose, standing_pose(), fmt='openpose')
    full = RATENetInferencer(tiny_config(), checkpoint, crop='full')
    with pytest.raises(NoPersonError) as info:
        full(photos['astronaut'], openpose)
    assert str(info.value).startswith(
        f"target_pose {openpose}: 0 of its 17 joints lie inside the model's "
        '64x44 frame: the file gives no image size, so crop=\'full\' takes '
        "its keypoints to be in that frame's pixels")
    full.close()
    # The same file framed around the person is fine.
    assert len(inferencer(photos['astronaut'], openpose)['predictions']) == 1
    nose = np.full((18, 2), -1, np.float32)
    nose[0] = (88, 29)
    with pytest.raises(NoPersonError,
                       match='it has 1 joint, and a person needs at least 2'):
        inferencer(photos['astronaut'], nose)


def test_a_source_pose_off_its_photo_is_refused(inferencer, photos):
    """Keypoints without an image size (an array, OpenPose) of another,
    larger photo: none lies on this one, so the crop would be white."""
    off = standing_pose()
    off[off[:, 0] >= 0] += 1000
    with pytest.raises(KeypointFormatError,
                       match='the source pose given: none of its 17 joints '
                       'lies on the source image .*astronaut.png'):
        inferencer(photos['astronaut'], standing_pose(), source_pose=off)


def test_paths_pil_images_and_one_pose_for_many_sources(inferencer, photos,
                                                        tmp_path):
    from pathlib import Path

    from PIL import Image
    pose = str(tmp_path / 'pose.json')
    write_keypoint_json(pose, standing_pose(), (256, 176))
    expected = inferencer(photos['astronaut'], pose)['predictions'][0][
        'result']
    by_path = inferencer(Path(photos['astronaut']), Path(pose))
    with Image.open(photos['astronaut']) as image:
        by_pil = inferencer(image, pose)
    np.testing.assert_array_equal(by_path['predictions'][0]['result'],
                                  expected)
    np.testing.assert_array_equal(by_pil['predictions'][0]['result'],
                                  expected)
    # One target pose (a path string, not a list of characters) for all.
    many = inferencer([photos['astronaut'], photos['astronaut']], pose)
    assert len(many['predictions']) == 2
    for prediction in many['predictions']:
        np.testing.assert_array_equal(prediction['result'], expected)
    with pytest.raises(ValueError, match='got 2 sources and one '
                       'source_pose'):
        inferencer([photos['astronaut']] * 2, pose, source_pose=pose)


def test_a_checkpoint_of_another_config_names_its_config(checkpoint,
                                                         tmp_path):
    """MMEngine's meta.experiment_name says which config trained it."""
    state = torch.load(checkpoint)
    state['meta'] = dict(experiment_name='ratenet_demo-pat32x22_1xb4-'
                         '1800cycles_synthetic-64x44_20261205_083920')
    named = str(tmp_path / 'named.pth')
    torch.save(state, named)
    wider = tiny_config()
    wider.model.generator.pose_transfer.base_channels = 16
    with pytest.raises(CheckpointMismatchError) as info:
        RATENetInferencer(wider, named)
    assert str(info.value).endswith(
        '; it was trained with the config configs/ratenet/ratenet_demo-'
        'pat32x22_1xb4-1800cycles_synthetic-64x44.py (the checkpoint\'s '
        'meta.experiment_name): give that config')


def test_cli_refuses_to_overwrite_inputs_and_unread_options(
        checkpoint, photos, tmp_path, capsys):
    tool = load_tool('infer')
    common = ['--checkpoint', checkpoint]
    for argv, message in (
            (['--source', photos['astronaut'], '--target-pose',
              photos['mirrored'], '--out', photos['astronaut']],
             f'--out {photos["astronaut"]} is the --source file'),
            (['--source', photos['astronaut'], '--target-pose',
              photos['mirrored'], '--out', str(tmp_path / 'a.png'),
              '--panel', str(tmp_path / 'a.png')],
             f'--panel {tmp_path / "a.png"} is the --out file'),
            (['--source', photos['astronaut'], '--target-pose',
              photos['mirrored'], '--target-name', 'row.jpg', '--out',
              str(tmp_path / 'b.png')],
             '--target-name names a row of an annotation CSV'),
            (['--pairs', 'pairs.csv', '--image-dir', str(tmp_path),
              '--out-dir', str(tmp_path / 'out'), '--source',
              photos['astronaut']],
             "--source: one pair's options, not read in batch mode"),
            (['--pairs', 'pairs.csv', '--image-dir', str(tmp_path),
              '--out-dir', str(tmp_path / 'out'), '--pose-dir', 'poses',
              '--annotations', 'ann.csv'],
             '--pose-dir and --annotations both give the poses'),
            (['--source', photos['astronaut'], '--target-pose',
              photos['mirrored'], '--out', str(tmp_path / 'c.png'),
              '--annotations', 'ann.csv'],
             '--annotations is for batch mode (--pairs)')):
        with pytest.raises(SystemExit) as info:
            tool.parse_args(common + argv)
        assert info.value.code == 2
        assert message in ' '.join(capsys.readouterr().err.split())
    assert cv2.imread(photos['astronaut']) is not None


def test_pairs_mode_with_annotations_generates_what_testing_does(
        checkpoint, tmp_path):
    """--annotations: both poses from the PATN rows; with crop='full' the
    written results are the model's test outputs for the same pairs (to a
    level of PNG rounding), so score_folder scores what test.py scores."""
    root = tmp_path / 'data'
    generate_synthetic_deepfashion(
        str(root), num_identities=1, poses_per_identity=2,
        num_test_identities=1, height=FRAME[0], width=FRAME[1], seed=3,
        image_format='png')
    ann = root / 'fasion-resize-annotation-test.csv'
    pairs = root / 'fasion-resize-pairs-test.csv'
    cfg = tiny_config()
    dataset = DeepFashionPoseDataset(
        str(ann), str(pairs), data_prefix=dict(img=str(root / 'test')),
        keypoint_frame=FRAME, pipeline=cfg.test_dataloader.dataset.pipeline,
        test_mode=True)
    inferencer = RATENetInferencer(cfg, checkpoint, crop='full')
    written, failed = inferencer.infer_pairs(
        str(pairs), str(root / 'test'), str(tmp_path / 'out'),
        annotation_file=str(ann))
    assert failed == [] and len(written) == len(dataset) == 2
    for index, path in enumerate(written):
        batch = inferencer.model.data_preprocessor(
            dict(inputs={k: [v] for k, v in dataset[index]['inputs'].items()},
                 data_samples=[dataset[index]['data_samples']]))
        with torch.no_grad():
            pred = inferencer.model.generator(
                batch['inputs']['src_img'], batch['inputs']['src_pose'],
                batch['inputs']['tgt_pose'])['final']
        expected = ((pred[0].clamp(-1, 1) + 1) * 127.5).permute(1, 2, 0)
        got = cv2.imread(path)[..., ::-1].astype(np.float32)
        assert np.abs(got - expected.numpy()).max() <= 1, path
    # A pair whose image has no row is skipped, naming the file.
    rows = ann.read_text().split('\n')
    (tmp_path / 'short.csv').write_text('\n'.join(rows[:2]) + '\n')
    messages = []
    written, failed = inferencer.infer_pairs(
        str(pairs), str(root / 'test'), str(tmp_path / 'out2'),
        annotation_file=str(tmp_path / 'short.csv'), log=messages.append)
    assert len(failed) == 2 and 'no annotation row for image' in messages[0]
    inferencer.close()


def test_a_pil_cut_out_is_laid_over_white_as_its_file_is(tmp_path):
    from PIL import Image

    from ratenet_plugin.apis.inferencer import plain_input
    from ratenet_plugin.fileio.image_file import read_image
    rgba = np.zeros((8, 6, 4), np.uint8)
    rgba[..., 2], rgba[..., 3] = 180, 255
    rgba[:3, ..., 3] = 0
    rgba[3, ..., 3] = 100
    image = Image.fromarray(rgba, 'RGBA')
    image.save(tmp_path / 'cut_out.png')
    plain = plain_input(image)
    np.testing.assert_array_equal(plain, read_image(str(tmp_path /
                                                        'cut_out.png')))
    assert (plain[:3] == 255).all()


def test_a_source_pose_partly_off_its_photo_is_used(inferencer, photos):
    """Joints beyond the photo's edge (a raised hand cut off) are fine; only
    a pose with none on the photo is refused."""
    pose = standing_pose()
    pose[7] = (600, 90)  # the left wrist beyond the 512-wide photo
    out = inferencer(photos['astronaut'], standing_pose(), source_pose=pose)
    assert len(out['predictions']) == 1


def test_a_checkpoint_trained_at_another_size_is_refused(checkpoint,
                                                         tmp_path):
    """Convolutions run at any size: a model trained on 128x88 images
    generated at the config's 64x44 without a word."""
    state = torch.load(checkpoint)
    # The demo configs' test pipelines do not resize: the keypoint frame is
    # the size the model generates at (the tiny config pads to 64x64).
    cfg = tiny_config()
    pipeline = cfg.test_dataloader.dataset.pipeline
    cfg.test_dataloader.dataset.pipeline = [
        step for step in pipeline if step['type'] != 'ResizePadPose']
    for height, width in ((128, 88), FRAME):
        # MMEngine's meta.cfg: the config's pretty text.
        state['meta'] = dict(cfg='train_dataloader = dict(dataset=dict(\n'
                             '        keypoint_frame=(\n'
                             f'            {height},\n            {width},\n'
                             '        ),\n))\n')
        path = str(tmp_path / f'trained_{height}.pth')
        torch.save(state, path)
        if (height, width) == FRAME:
            RATENetInferencer(cfg, path).close()
            continue
        with pytest.raises(CheckpointMismatchError,
                           match='was trained on 128x88 images .* generates '
                           'at 64x44: pass the config its run wrote'):
            RATENetInferencer(cfg, path)


def test_the_size_check_leaves_resizing_pipelines_alone(checkpoint, tmp_path):
    """With ResizePadPose the keypoint frame is the annotations' size, not
    the model's: no check either way (a valid checkpoint was refused)."""
    state = torch.load(checkpoint)
    state['meta'] = dict(cfg='keypoint_frame=(\n 128,\n 88,\n)\n'
                         "pipeline=[dict(type='ResizePadPose', "
                         'scale=(64, 44))]\n')
    path = str(tmp_path / 'resized.pth')
    torch.save(state, path)
    RATENetInferencer(tiny_config(), path).close()
