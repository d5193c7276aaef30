"""The benchmark and analysis tools keep the tools' rule for bad input
(docs/bad_inputs.md): a mistake stops before any work, with argparse's
usage error or one ``error:`` line (exit code 2), never a traceback."""
import pytest

from ratenet_plugin.fileio.errors import UserInputError
from tests.tools.tool_testing import (REPO_ROOT, load_script, load_tool,
                                      run_tool, user_error_line)

#: Every tool that reads a config, with the arguments it needs besides.
CONFIG_TOOLS = {
    'tools/benchmark.py': ['{config}'],
    'tools/analysis/count_flops.py': ['{config}'],
    'tools/analysis/save_initial_checkpoint.py': ['{config}', 'out.pth'],
    'tools/analysis/synthetic_ablation.py': ['--config', '{config}'],
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
    a_file = tmp_path / 'motion'
    a_file.write_text('')
    with pytest.raises(UserInputError, match=f'{a_file} is a file'):
        main([str(a_file), '--frames', '2', '--size', '8', '6'])
    assert sorted(p.name for p in tmp_path.iterdir()) == ['motion']
