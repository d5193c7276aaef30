"""Typed checks of constructor arguments name the argument and the value."""
import argparse

import pytest

from ratenet_plugin.fileio.errors import UserInputError
from ratenet_plugin.utils.arguments import (ConfigValueError, check_cycle,
                                            check_non_negative_int,
                                            check_positive_int, check_weight,
                                            compile_mode, folder_to_write,
                                            int_at_least, number_in,
                                            path_ending_in)


def test_positive_int():
    assert check_positive_int('base_channels', 8) == 8
    for bad in (4.5, '8', 0, -1, True, None):
        with pytest.raises(ConfigValueError) as info:
            check_positive_int('base_channels', bad)
        assert str(info.value) == (f'base_channels={bad!r}: expected a '
                                   'positive integer')
        assert (info.value.argument, info.value.value) == ('base_channels',
                                                           bad)
    assert issubclass(ConfigValueError, UserInputError)


def test_non_negative_int():
    assert check_non_negative_int('num_res_blocks', 0) == 0
    with pytest.raises(ConfigValueError, match='num_res_blocks=2.0'):
        check_non_negative_int('num_res_blocks', 2.0)


def test_weight():
    assert check_weight('lambda_recon', 10) == 10.0
    assert isinstance(check_weight('lambda_recon', 10), float)
    for bad in ('abc', -1.0, float('nan'), float('inf'), None, False):
        with pytest.raises(ConfigValueError, match='lambda_recon=.*a number'):
            check_weight('lambda_recon', bad)


@pytest.mark.parametrize('cycle', [[], 'joint', [('joint', 0)], [('joint', )],
                                   [('joint', 1.5)], [(1, 1)], ['joint']])
def test_bad_cycle_specs_are_rejected(cycle):
    with pytest.raises(ConfigValueError, match='^cycle='):
        check_cycle('cycle', cycle)


def test_cycle_lists_become_tuples():
    assert check_cycle('cycle', [['pose_transfer', 1], ('discriminator', 3)]
                       ) == (('pose_transfer', 1), ('discriminator', 3))


def test_int_at_least_is_an_argparse_type(capsys):
    parser = argparse.ArgumentParser(prog='tool')
    parser.add_argument('--frames', type=int_at_least(2))
    parser.add_argument('--size', type=int_at_least(1), nargs=2)
    args = parser.parse_args(['--frames', '2', '--size', '64', '44'])
    assert (args.frames, args.size) == (2, [64, 44])
    for argv, shown in ((['--frames', '1'], "'1'"),
                        (['--frames', 'two'], "'two'"),
                        (['--frames', '2.5'], "'2.5'"),
                        (['--size', '64', '0'], "'0'")):
        with pytest.raises(SystemExit) as info:
            parser.parse_args(argv)
        assert info.value.code == 2
        name, minimum = argv[0], 2 if argv[0] == '--frames' else 1
        assert (f'tool: error: argument {name}: expected an integer >= '
                f'{minimum}, got {shown}') in capsys.readouterr().err


@pytest.mark.parametrize('kind,good,bad,expected', [
    (number_in(0, low_open=True), ['0.5', '25'], ['0', '-1', 'inf', 'nan',
                                                  'fast'], 'a number > 0'),
    (number_in(0, 1), ['0', '1', '0.5'], ['-0.1', '1.5'],
     'a number in [0, 1]'),
    (number_in(0, 1, low_open=True), ['1'], ['0'], 'a number in (0, 1]'),
    (number_in(0), ['0', '10'], ['-1'], 'a number >= 0'),
])
def test_number_in_is_an_argparse_type(kind, good, bad, expected):
    for text in good:
        assert kind(text) == float(text)
    for text in bad:
        with pytest.raises(argparse.ArgumentTypeError) as info:
            kind(text)
        assert str(info.value) == f'expected {expected}, got {text!r}'


def test_path_ending_in_is_an_argparse_type():
    animation = path_ending_in(('.gif', '.mp4'))
    assert animation('dance.GIF') == 'dance.GIF'
    assert animation('out/a.mp4') == 'out/a.mp4'
    for text in ('dance.txt', 'dance', 'gif'):
        with pytest.raises(argparse.ArgumentTypeError) as info:
            animation(text)
        assert str(info.value) == ('expected a file ending in .gif or .mp4, '
                                   f'got {text!r}')
    with pytest.raises(argparse.ArgumentTypeError,
                       match="expected a file ending in .png, got 'a.jpg'"):
        path_ending_in(('.png', ))('a.jpg')


def test_compile_mode_is_one_of_torchs():
    assert compile_mode('max-autotune-no-cudagraphs') == \
        'max-autotune-no-cudagraphs'
    assert compile_mode('default') == 'default'
    with pytest.raises(argparse.ArgumentTypeError) as info:
        compile_mode('fastest')
    assert str(info.value).startswith(
        'expected a torch.compile mode (default, ')
    assert str(info.value).endswith("got 'fastest'")


def test_folder_to_write_refuses_a_file_with_or_without_a_slash(tmp_path):
    """'x/' names the file x as much as 'x' does (os.path.exists('x/') is
    False for a file): the work would end in NotADirectoryError."""
    afile = tmp_path / 'afile'
    afile.write_text('')
    for text in (str(afile), str(afile) + '/'):
        with pytest.raises(argparse.ArgumentTypeError,
                           match='expected a folder to write into, got the '
                           'file'):
            folder_to_write(text)
    assert folder_to_write(str(tmp_path) + '/') == str(tmp_path) + '/'
    assert folder_to_write(str(tmp_path / 'new')) == str(tmp_path / 'new')


def test_output_paths_expand_the_home_folder(monkeypatch, tmp_path):
    """``--work-dir=~/x`` reaches the tool with its ``~`` (the shell expands
    it only at a word's start): the folder is the home's, not './~'."""
    monkeypatch.setenv('HOME', str(tmp_path))
    assert folder_to_write('~/runs') == str(tmp_path / 'runs')
    assert path_ending_in(('.png', ))('~/a.png') == str(tmp_path / 'a.png')
