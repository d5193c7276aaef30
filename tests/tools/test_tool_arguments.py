"""Every tool's rule for bad input (docs/bad_inputs.md), the web app's
included: a mistake in a config path, a command-line value or an output
path stops before any work, with argparse's usage error or one ``error:``
line (exit code 2), never a traceback."""
import pytest
import torch

from ratenet_plugin.fileio.errors import UserInputError
from tests.tools.tool_testing import (REPO_ROOT, load_script, load_tool,
                                      run_tool, user_error_line)

#: Every tool that reads a config, with the arguments it needs besides.
CONFIG_TOOLS = {
    'tools/benchmark.py': ['{config}'],
    'tools/analysis/count_flops.py': ['{config}'],
    'tools/analysis/save_initial_checkpoint.py': ['{config}', 'out.pth'],
    'tools/analysis/synthetic_ablation.py': ['--config', '{config}'],
    'tools/analysis/shared_core_study.py': ['--config', '{config}'],
    'tools/analysis/colour_transfer_probe.py': ['{config}', 'k.pth'],
    'tools/analysis/garment_error_breakdown.py': ['{config}', 'k.pth'],
}


@pytest.mark.parametrize('tool', sorted(CONFIG_TOOLS))
def test_a_missing_config_is_one_error_line(tool, tmp_path):
    missing = tmp_path / 'no_such_config.py'
    argv = [a.format(config=missing) for a in CONFIG_TOOLS[tool]]
    result = run_tool(REPO_ROOT / tool, *argv, cwd=tmp_path)
    assert user_error_line(result) == f'error: config file not found: ' \
        f'{missing}'
    assert list(tmp_path.iterdir()) == []  # nothing written


def test_benchmark_options_are_checked_before_any_timing(capsys):
    parse_args = load_tool('benchmark').parse_args
    assert parse_args(['c.py', '--options', 'fp32', 'bf16+channels_last'
                       ]).options == ['fp32', 'bf16+channels_last']
    for argv, message in (
        (['--options', 'fp32', 'bf16+chanels_last'],
         "argument --options: unknown fast path(s) ['chanels_last']"),
        (['--train-options', 'bf16+fp16'],
         "argument --train-options: 'bf16+fp16': choose bf16 or fp16"),
        (['--train-repeats', '0'],
         "argument --train-repeats: expected an integer >= 1, got '0'"),
        (['--infer-batch-sizes', '1', '-4'],
         'argument --infer-batch-sizes: expected an integer >= 1'),
    ):
        with pytest.raises(SystemExit) as info:
            parse_args(['c.py', *argv])
        assert info.value.code == 2
        assert message in capsys.readouterr().err


def test_count_flops_names_a_bad_config_key(tiny_config_file):
    main = load_script('tools/analysis/count_flops.py').main
    config = tiny_config_file()
    with pytest.raises(UserInputError) as info:
        main([config, '--cfg-options',
              'model.generator.pose_transfer.base_channels=4.5'])
    assert str(info.value) == (
        'config key model.generator.pose_transfer.base_channels=4.5 (in '
        f'{config}): expected a positive integer; fix the config or '
        '--cfg-options')


def test_count_flops_texture_dim_needs_a_texture_module():
    main = load_script('tools/analysis/count_flops.py').main
    config = 'configs/ratenet/ratenet_pb-only_1xb7-40kcycles_deepfashion-' \
        '256x176.py'
    with pytest.raises(UserInputError) as info:
        main([str(REPO_ROOT / config), '--texture-dim', '64'])
    assert str(info.value) == (
        f'--texture-dim: {REPO_ROOT / config} has no texture enhancing '
        'module G_t (texture_enhancer=None, PB Only)')


def test_synthetic_ablation_needs_pb_only_for_pb_fixed(capsys):
    parse_args = load_script('tools/analysis/synthetic_ablation.py').parse_args
    assert parse_args(['--variants', 'pb-only', 'pb-fixed']).variants == [
        'pb-only', 'pb-fixed']
    with pytest.raises(SystemExit) as info:
        parse_args(['--variants', 'full', 'pb-fixed'])
    assert info.value.code == 2
    assert 'error: pb-fixed needs pb-only in --variants' in \
        capsys.readouterr().err


def test_synthetic_motion_arguments(tmp_path, capsys):
    main = load_tool('generate_synthetic_motion').main
    for argv, message in (
        (['--frames', '1'], "argument --frames: expected an integer >= 2"),
        (['--identity', '-1'],
         "argument --identity: expected an integer >= 0, got '-1'"),
        (['--size', '0', '44'],
         "argument --size: expected an integer >= 1, got '0'"),
    ):
        with pytest.raises(SystemExit) as info:
            main([str(tmp_path / 'out'), *argv])
        assert info.value.code == 2
        assert message in capsys.readouterr().err


#: (tool, argv before the bad argument, the bad argument, what is said):
#: each stops in argparse (exit code 2) before any file is read or written.
BAD_ARGUMENTS = [
    ('animate', ['--config', 'c.py', '--checkpoint', 'k.pth', '--source',
                 's.png', '--poses', 'p', '--out', 'a.gif'],
     ['--fps', '0'], "argument --fps: expected a number > 0, got '0'"),
    ('animate', ['--config', 'c.py', '--checkpoint', 'k.pth', '--source',
                 's.png', '--poses', 'p', '--out', 'a.gif'],
     ['--fps', '0.001'], '--fps 0.001: a GIF shows a frame for at most '
     '655.35 s, so at least 0.0015; write an .mp4'),
    ('animate', ['--config', 'c.py', '--checkpoint', 'k.pth', '--source',
                 's.png', '--poses', 'p', '--out', 'a.gif'],
     ['--batch-size', '0'], 'argument --batch-size: expected an integer >= 1'),
    ('animate', ['--config', 'c.py', '--checkpoint', 'k.pth', '--source',
                 's.png', '--poses', 'p'],
     ['--out', 'a.txt'],
     "argument --out: expected a file ending in .gif or .mp4, got 'a.txt'"),
    ('test', ['c.py', 'k.pth', '--grid', 'g.png'], ['--grid-rows', '0'],
     'argument --grid-rows: expected an integer >= 1'),
    ('test', ['c.py', 'k.pth'], ['--grid', 'grid.txt'],
     'argument --grid: expected a file ending in .jpg, .jpeg, .png, .bmp or '
     ".webp, got 'grid.txt'"),
    ('infer', ['--checkpoint', 'k.pth', '--source', 's.png',
               '--target-pose', 'p.json'], ['--out', 'result'],
     'argument --out: expected a file ending in .jpg'),
    ('infer', ['--checkpoint', 'k.pth', '--source', 's.png',
               '--target-pose', 'p.json', '--out', 'r.png'],
     ['--panel', 'panel.pdf'], 'argument --panel: expected a file ending in'),
    ('infer', ['--checkpoint', 'k.pth', '--source', 's.png',
               '--target-pose', 'p.json', '--out', 'r.png'], ['--panel'],
     '--panel needs the file to write in single mode'),
    ('infer', ['--checkpoint', 'k.pth', '--pairs', 'p.csv', '--image-dir',
               'images', '--out-dir', 'results'], ['--panel', 'p.png'],
     'in batch mode --panel takes no path'),
    ('extract_pose', ['images', '--out', 'a.csv'],
     ['--min-visibility', '1.5'],
     "argument --min-visibility: expected a number in [0, 1], got '1.5'"),
    ('generate_synthetic_deepfashion', ['out'], ['--size', '8', '8'],
     "argument --size: expected an integer >= 16, got '8'"),
    ('generate_synthetic_deepfashion', ['out', '--num-identities', '4'],
     ['--num-test-identities', '5'],
     '--num-test-identities 5 is more than --num-identities 4'),
    ('prepare_deepfashion', ['raw', 'out', '--annotations', 'a.csv'],
     ['--workers', '0'], 'argument --workers: expected an integer >= 1'),
    ('score_folder', ['generated', 'real'], ['--batch-size', '-1'],
     'argument --batch-size: expected an integer >= 1'),
    ('benchmark', ['c.py'], ['--assumed-mfu', '0.3', '40'],
     "argument --assumed-mfu: expected a number in (0, 1], got '40'"),
    ('train', ['c.py'], ['--compile', 'fastest'],
     "argument --compile: expected a torch.compile mode (default, "),
    ('benchmark', ['c.py'], ['--compile-mode', 'fastest'],
     'argument --compile-mode: expected a torch.compile mode'),
    ('benchmark', ['c.py', '--options', 'bf16'], ['--train-options', 'fp16'],
     '--train-options fp16: not among --options, so never measured; add '
     'them there'),
    ('analysis/shared_core_study', [], ['--options', 'bf16+fp16'],
     "argument --options: 'bf16+fp16': choose bf16 or fp16"),
    ('analysis/shared_core_study', [], ['--options', 'winograd'],
     "argument --options: 'winograd': winograd is an inference-only fast "
     'path; this tool times training cycles'),
    ('analysis/garment_error_breakdown', ['c.py', 'k.pth'],
     ['--max-pairs', '0'], 'argument --max-pairs: expected an integer >= 1'),
    ('infer', ['--checkpoint', 'k.pth', '--source', 's.png',
               '--target-pose', 'p.json', '--out', 'r.png'],
     ['--device', 'tpu'],
     "argument --device: expected 'cpu', 'cuda' or 'cuda:N', got 'tpu'"),
    ('score_folder', ['generated', 'real'], ['--device', 'gpu'],
     "argument --device: expected 'cpu', 'cuda' or 'cuda:N', got 'gpu'"),
    ('benchmark', ['c.py'], ['--device', 'cuda:x'],
     "argument --device: expected 'cpu', 'cuda' or 'cuda:N', got 'cuda:x'"),
    ('benchmark', ['c.py'], ['--device', 'cpu:0'],
     '--device cpu:0: the benchmark takes cpu or cuda; choose the GPU with '
     'CUDA_VISIBLE_DEVICES=N'),
    ('analysis/colour_transfer_probe', ['c.py', 'k.pth'],
     ['--device', 'tpu'],
     "argument --device: expected 'cpu', 'cuda' or 'cuda:N', got 'tpu'"),
]


@pytest.mark.parametrize('tool,argv,bad,message', BAD_ARGUMENTS,
                         ids=[f'{t.split("/")[-1]}{b[0]}'
                              for t, _, b, _ in BAD_ARGUMENTS])
def test_bad_numbers_stop_in_argparse(tool, argv, bad, message, tmp_path,
                                      monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    module = load_tool(tool)
    parse = getattr(module, 'parse_args', module.main)
    with pytest.raises(SystemExit) as info:
        parse([*argv, *bad])
    assert info.value.code == 2
    assert f'error: {message}' in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


@pytest.mark.skipif(torch.cuda.is_available(), reason='a GPU is visible')
def test_cuda_without_a_gpu_stops_in_argparse(capsys):
    parse = load_tool('infer').parse_args
    with pytest.raises(SystemExit):
        parse(['--checkpoint', 'k.pth', '--source', 's.png', '--target-pose',
               'p.json', '--out', 'r.png', '--device', 'cuda'])
    assert ("argument --device: 'cuda': torch sees no CUDA device on this "
            "machine; use 'cpu'") in capsys.readouterr().err


def test_synthetic_set_into_a_folder_with_other_files(tmp_path, capsys):
    """The same words as prepare_deepfashion.py's for the same mistake, and
    only those (no 'using it as is' of the data set code before them)."""
    (tmp_path / 'notes.txt').write_text('mine')
    main = load_tool('generate_synthetic_deepfashion').main
    capsys.readouterr()
    with pytest.raises(UserInputError) as info:
        main([str(tmp_path), '--num-identities', '2', '--num-test-identities',
              '1', '--poses-per-identity', '2', '--size', '16', '16'])
    assert str(info.value) == (f'{tmp_path} is not empty: give a new or '
                               'empty output folder')
    assert [p.name for p in tmp_path.iterdir()] == ['notes.txt']
    printed = capsys.readouterr()
    assert 'using it as is' not in printed.out + printed.err


def test_the_web_app_without_a_usable_checkpoint_is_one_error_line(tmp_path):
    """demo/ratenet_gradio.py ends by the tools' rule too: no server starts."""
    missing = tmp_path / 'none.pth'
    result = run_tool(REPO_ROOT / 'demo' / 'ratenet_gradio.py',
                      '--checkpoint', missing, '--port', 9, cwd=tmp_path)
    assert user_error_line(result) == (
        f'error: checkpoint not found: {missing}; pass the path of a .pth '
        'file written by tools/train.py (e.g. work_dirs/<config>/iter_N.pth)')


def test_the_web_app_without_a_checkpoint_says_how_to_train_one(tmp_path):
    """The page's advice trains into the folder the app looks in."""
    script = load_script('demo/ratenet_gradio.py')
    app = script.build_app(script.parse_args(['--work-dir', str(tmp_path)]))
    assert not app.ready
    assert (f'`{script.TRAIN_COMMAND} --work-dir {tmp_path}`'
            in app.setup_message)


#: (tool, its arguments with {file} where a folder to write belongs).
FOLDER_ARGUMENTS = [
    ('generate_synthetic_motion', ['{file}', '--frames', '2'], 'out_dir'),
    ('generate_synthetic_deepfashion', ['{file}'], 'out_dir'),
    ('prepare_deepfashion', ['raw', '{file}', '--annotations', 'a.csv'],
     'out_dir'),
    ('extract_pose', ['images', '--out', 'a.csv', '--json-dir', '{file}'],
     '--json-dir'),
    ('infer', ['--checkpoint', 'k.pth', '--pairs', 'p.csv', '--image-dir',
               'images', '--out-dir', '{file}'], '--out-dir'),
    ('train', ['c.py', '--work-dir', '{file}'], '--work-dir'),
    ('analysis/synthetic_ablation', ['--images-dir', '{file}'],
     '--images-dir'),
]


@pytest.mark.parametrize(
    'tool,argv,name', FOLDER_ARGUMENTS,
    ids=[t.split('/')[-1] for t, _, _ in FOLDER_ARGUMENTS])
def test_a_file_where_a_folder_is_written_stops_in_argparse(
        tool, argv, name, tmp_path, capsys):
    a_file = tmp_path / 'results'
    a_file.write_text('mine')
    module = load_tool(tool)
    parse = getattr(module, 'parse_args', module.main)
    with pytest.raises(SystemExit) as info:
        parse([a.format(file=a_file) for a in argv])
    assert info.value.code == 2
    assert (f'error: argument {name}: expected a folder to write into, got '
            f"the file '{a_file}'") in capsys.readouterr().err
    assert a_file.read_text() == 'mine'


#: (tool, its arguments with {folder} where a file to write belongs).
FILE_ARGUMENTS = [
    ('benchmark', ['c.py', '--out', '{folder}']),
    ('test', ['c.py', 'k.pth', '--out', '{folder}']),
    ('score_folder', ['generated', 'real', '--out', '{folder}']),
    ('analysis/garment_error_breakdown', ['c.py', 'k.pth', '--out',
                                          '{folder}']),
]


@pytest.mark.parametrize('tool,argv', FILE_ARGUMENTS,
                         ids=[t.split('/')[-1] for t, _ in FILE_ARGUMENTS])
def test_a_folder_where_a_file_is_written_stops_in_argparse(
        tool, argv, tmp_path, capsys):
    module = load_tool(tool)
    with pytest.raises(SystemExit) as info:
        module.parse_args([a.format(folder=tmp_path) for a in argv])
    assert info.value.code == 2
    assert ('error: argument --out: expected a file to write, got the '
            f"folder '{tmp_path}'") in capsys.readouterr().err
