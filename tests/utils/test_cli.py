"""run_tool: a user error is one 'error:' line and exit code 2, a bug keeps
its traceback, a returned int is the exit code.

The exit codes and messages are checked in this process (``run_tool`` ends
by ``sys.exit``, whose code Python makes the process's); the traceback of a
bug, which Python prints as a process ends, in a real process. The tools'
own tests (tools/infer.py, tools/extract_pose.py, tools/train.py...) run
the rule in real processes too.
"""
import subprocess
import sys
from pathlib import Path

import pytest

from ratenet_plugin.fileio.errors import UserInputError
from ratenet_plugin.utils.cli import (EXIT_SOME_FAILED, EXIT_USER_ERROR,
                                      run_tool)

REPO_ROOT = Path(__file__).resolve().parents[2]


def exit_code_and_stderr(main, capsys) -> tuple:
    """Run ``main`` through run_tool; its exit code and what it printed."""
    with pytest.raises(SystemExit) as ended:
        run_tool(main)
    return ended.value.code, capsys.readouterr().err


def user_error():
    raise UserInputError('pairs.csv, line 3: no such image a.jpg;\n'
                         'fix the row')


def missing_file():
    open('/nonexistent/input.csv')


@pytest.mark.parametrize('main, line', [
    (user_error, 'error: pairs.csv, line 3: no such image a.jpg; fix the row'),
    (missing_file, 'error: No such file or directory: /nonexistent/input.csv'),
])
def test_a_user_error_is_one_line_and_exit_code_2(main, line, capsys):
    code, stderr = exit_code_and_stderr(main, capsys)
    assert code == EXIT_USER_ERROR == 2
    assert stderr == line + '\n'


def test_a_bug_is_not_caught():
    def bug():
        raise RuntimeError('an internal bug')

    with pytest.raises(RuntimeError, match='an internal bug'):
        run_tool(bug)


BUG_TOOL = '''
from ratenet_plugin.utils.cli import run_tool

def main():
    raise RuntimeError('an internal bug')

run_tool(main)
'''


def test_a_bug_keeps_its_traceback_in_a_real_process():
    result = subprocess.run([sys.executable, '-c', BUG_TOOL],
                            cwd=REPO_ROOT, capture_output=True, text=True,
                            timeout=600)
    assert result.returncode == 1
    assert 'Traceback (most recent call last)' in result.stderr
    assert 'RuntimeError: an internal bug' in result.stderr
    assert 'error: an internal bug' not in result.stderr


@pytest.mark.parametrize('returned, code', [(EXIT_SOME_FAILED, 1),
                                            (0, 0), (dict(results=1), 0),
                                            (None, 0), (True, 0)])
def test_main_returning_an_int_sets_the_exit_code(returned, code, capsys):
    assert exit_code_and_stderr(lambda: returned, capsys) == (code, '')


@pytest.mark.parametrize('argv, line', [
    # Imports MMEngine's runner (and so transformers) before the plugin.
    (['tools/train.py', 'configs/ratenet/ratenet_demo-pat32x22_1xb4-'
      '1800cycles_synthetic-64x44.py', '--cfg-options', 'num_cycles=5'],
     'error: --cfg-options num_cycles: num_cycles is a variable'),
    # Without tools/_bootstrap.py: the plugin's import hides it.
    (['tools/convert_patn_checkpoint.py', 'missing.pth', 'out.pth'],
     'error: missing.pth not found: download PATN'),
])
def test_a_tools_user_error_is_its_only_line(argv, line):
    """Nothing before the error line: transformers' FutureWarning about a
    torch function (two to four lines) came first in every tool."""
    result = subprocess.run([sys.executable, str(REPO_ROOT / argv[0])] +
                            argv[1:], cwd=REPO_ROOT, capture_output=True,
                            text=True, timeout=600)
    assert result.returncode == EXIT_USER_ERROR
    [only] = result.stderr.splitlines()
    assert only.startswith(line)


def full_disk():
    raise OSError(28, 'No space left on device', '/data/work/iter_2.pth')


def a_bug_in_the_os_layer():
    raise OSError(22, 'Invalid argument')


def test_a_full_disk_is_one_line_and_another_os_error_a_bug(capsys):
    code, stderr = exit_code_and_stderr(full_disk, capsys)
    assert code == EXIT_USER_ERROR
    assert stderr.startswith('error: No space left on device: '
                             '/data/work/iter_2.pth: the file system refused')
    with pytest.raises(OSError, match='Invalid argument'):
        run_tool(a_bug_in_the_os_layer)
