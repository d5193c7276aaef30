"""run_tool: a user error is one 'error:' line and exit code 2, a bug keeps
its traceback, a returned int is the exit code (real processes)."""
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]

TOOL = '''
import sys
from ratenet_plugin.fileio.errors import UserInputError
from ratenet_plugin.utils.cli import run_tool

def main():
    kind = sys.argv[1]
    if kind == 'user':
        raise UserInputError('pairs.csv, line 3: no such image a.jpg;\\n'
                             'fix the row')
    if kind == 'missing':
        open('/nonexistent/input.csv')
    if kind == 'bug':
        raise RuntimeError('an internal bug')
    if kind == 'partial':
        return 1
    return dict(results=1)

run_tool(main)
'''


def run(kind: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, '-c', TOOL, kind],
                          cwd=REPO_ROOT, capture_output=True, text=True,
                          timeout=600)


@pytest.mark.parametrize('kind, line', [
    ('user', 'error: pairs.csv, line 3: no such image a.jpg; fix the row'),
    ('missing', 'error: No such file or directory: /nonexistent/input.csv'),
])
def test_a_user_error_is_one_line_and_exit_code_2(kind, line):
    result = run(kind)
    assert result.returncode == 2
    # (Importing MMagic may print library warnings before it.)
    assert result.stderr.endswith('\n' + line + '\n')
    assert 'Traceback' not in result.stderr


def test_a_bug_keeps_its_traceback():
    result = run('bug')
    assert result.returncode == 1
    assert 'Traceback (most recent call last)' in result.stderr
    assert 'RuntimeError: an internal bug' in result.stderr


@pytest.mark.parametrize('kind, code', [('partial', 1), ('results', 0)])
def test_main_returning_an_int_sets_the_exit_code(kind, code):
    assert run(kind).returncode == code
