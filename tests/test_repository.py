"""The repository's own promises: CI runs the README's test command."""
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def readme_commands():
    text = (ROOT / 'README.md').read_text()
    return re.findall(r'```bash\n(.*?)\n```', text, flags=re.S)


def test_ci_runs_exactly_the_readme_test_command():
    ci_lines = [
        line.strip() for line in (ROOT / '.ci' / 'run').read_text().splitlines()
        if line.strip() and not line.lstrip().startswith('#')
    ]
    test_commands = [c for c in readme_commands() if 'pytest' in c]
    assert test_commands, 'README.md shows no test command'
    assert test_commands[0].strip() in ci_lines


def test_readme_main_job_runs_the_demo_config():
    first = readme_commands()[0]
    assert 'tools/setup_env.sh' in first
    config = re.search(r'(configs/\S+\.py)', first).group(1)
    assert (ROOT / config).is_file()


def test_every_requirement_is_pinned_in_the_lock_file():
    pinned = {
        line.split('==')[0].lower().replace('_', '-')
        for line in (ROOT / 'requirements' / 'constraints.txt').read_text().splitlines()
        if '==' in line and not line.startswith('#')
    }
    for name in ('runtime.txt', 'demo.txt', 'tests.txt'):
        for line in (ROOT / 'requirements' / name).read_text().splitlines():
            requirement = re.split(r'[<>=;#\[ ]', line.strip())[0]
            if requirement:
                assert requirement.lower().replace('_', '-') in pinned, requirement


#: Tools that keep their own exit: env_report.py runs before our packages
#: are installed, run_unpinned.py hands the process to another script.
OWN_EXIT_TOOLS = ('env_report.py', 'run_unpinned.py')


def test_every_tool_ends_by_the_one_exit_rule():
    """docs/bad_inputs.md: a user's mistake is one ``error:`` line, exit 2."""
    scripts = [
        script for folder in ('tools', 'tools/analysis', 'demo')
        for script in sorted((ROOT / folder).glob('*.py'))
    ]
    checked = []
    for script in scripts:
        text = script.read_text()
        if "if __name__ == '__main__':" not in text \
                or script.name in OWN_EXIT_TOOLS:
            continue
        main_block = text.split("if __name__ == '__main__':")[-1]
        assert main_block.strip() == 'run_tool(main)', script
        checked.append(script.name)
    assert {'train.py', 'benchmark.py', 'count_flops.py',
            'generate_synthetic_motion.py',
            'ratenet_gradio.py'} <= set(checked)
