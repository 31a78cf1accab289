"""``chroma-lab`` itself: user errors in one line, bugs with their traceback, ``--debug``, Ctrl-C,
options after positionals, and TensorFlow's start-up notes kept off stderr."""

import os
import subprocess
import sys

import pytest

from chroma_lab import cli
from chroma_lab.cli import demo
from chroma_lab.data import ImageReadError
from chroma_lab.errors import ChromaLabError, ChromaLabTypeError
from chroma_lab.models.registry import ModelFolderError

USER_ERRORS = [
    (cli.UsageError("--n-colors must be a positive integer, got 0"), "--n-colors must be a positive integer, got 0"),
    (ChromaLabError("size must be one of ('full', 'small'), got 'huge'"), "size must be one of ('full', 'small'), got 'huge'"),
    (ChromaLabTypeError("epochs must be an int >= 0, got 2.5"), "epochs must be an int >= 0, got 2.5"),
    (ImageReadError("Cannot read 'x.png': truncated"), "Cannot read 'x.png': truncated"),
    (ModelFolderError("'m' holds no saved colorizer"), "'m' holds no saved colorizer"),
    (FileNotFoundError("No image file at 'x.png'"), "No image file at 'x.png'"),
    (IsADirectoryError("'d' is a folder, not an image"), "'d' is a folder, not an image"),
    (NotADirectoryError("'f' is a file, not a folder"), "'f' is a file, not a folder"),
    # an OSError from Python itself: the file and the reason, without "[Errno 13]"
    (PermissionError(13, "Permission denied", "/data/x.png"), "'/data/x.png': Permission denied"),
    (ChromaLabError("a message\n  over two lines"), "a message over two lines"),
]  # fmt: skip
# A plain ValueError is NumPy's or Python's inside the library (a broadcasting bug, say), not the
# user's input: the package raises ChromaLabError for that.
BUGS = [TypeError("unsupported operand"), KeyError("size"), AttributeError("no attribute 'x'"),
        RuntimeError("not fitted"), ZeroDivisionError("division by zero"),
        ValueError("operands could not be broadcast together with shapes (2,3) (4,)")]  # fmt: skip


def _raising(exc):
    def main(args):
        raise exc

    return main


@pytest.fixture(autouse=True)
def _no_debug_env(monkeypatch):
    monkeypatch.delenv(cli.DEBUG_ENV, raising=False)


@pytest.mark.parametrize("exc, line", USER_ERRORS, ids=lambda x: type(x).__name__ if isinstance(x, Exception) else "")
def test_user_errors_are_one_line(exc, line, monkeypatch, capsys):
    monkeypatch.setattr(demo, "main", _raising(exc))
    assert cli.main(["demo"]) == 1
    assert capsys.readouterr().err == f"chroma-lab demo: error: {line}\n"


@pytest.mark.parametrize("exc", BUGS, ids=lambda e: type(e).__name__)
def test_a_bug_keeps_its_traceback(exc, monkeypatch):
    monkeypatch.setattr(demo, "main", _raising(exc))
    with pytest.raises(type(exc)):
        cli.main(["demo"])


def test_a_bug_prints_its_traceback_from_the_command():
    # a KeyError deep in a command (say a settings dict missing a key): Python's own report
    script = ("import sys\nfrom chroma_lab import cli\nfrom chroma_lab.cli import demo\n"
              "def broken(args):\n    return {}['size']\n"
              "demo.main = broken\nsys.exit(cli.main(['demo']))\n")  # fmt: skip
    env = {k: v for k, v in os.environ.items() if k != cli.DEBUG_ENV}
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env,
                            timeout=60)  # fmt: skip
    assert result.returncode == 1
    assert result.stderr.startswith("Traceback (most recent call last):")
    assert "in broken" in result.stderr and result.stderr.rstrip().endswith("KeyError: 'size'")
    assert "chroma-lab demo: error" not in result.stderr


@pytest.mark.parametrize("how", ["--debug before", "--debug after", "environment"])
def test_debug_shows_the_traceback_of_a_user_error(how, monkeypatch, capsys):
    monkeypatch.setattr(demo, "main", _raising(ChromaLabError("bad --n-colors")))
    argv = {"--debug before": ["--debug", "demo"], "--debug after": ["demo", "--debug"],
            "environment": ["demo"]}[how]  # fmt: skip
    if how == "environment":
        monkeypatch.setenv(cli.DEBUG_ENV, "1")
    assert cli.main(argv) == 1
    err = capsys.readouterr().err
    assert err.startswith("Traceback (most recent call last):") and "ChromaLabError: bad --n-colors" in err
    assert err.splitlines()[-1] == "chroma-lab demo: error: bad --n-colors"


def test_debug_env_zero_is_off(monkeypatch, capsys):
    monkeypatch.setattr(demo, "main", _raising(ChromaLabError("bad")))
    monkeypatch.setenv(cli.DEBUG_ENV, "0")
    assert cli.main(["demo"]) == 1
    assert capsys.readouterr().err == "chroma-lab demo: error: bad\n"


def test_ctrl_c_is_one_line_and_130(monkeypatch, capsys):
    monkeypatch.setattr(demo, "main", _raising(KeyboardInterrupt()))
    assert cli.main(["demo"]) == 130
    assert capsys.readouterr().err == "chroma-lab demo: interrupted\n"


def test_usage_errors_exit_2(capsys):
    with pytest.raises(SystemExit) as info:
        cli.main(["recolor"])
    assert info.value.code == 2 and "invalid choice: 'recolor'" in capsys.readouterr().err
    with pytest.raises(SystemExit) as info:
        cli.main(["demo", "--n-colors", "many"])
    err = capsys.readouterr().err
    assert info.value.code == 2 and "chroma-lab demo: error: argument --n-colors" in err
    assert cli.main([]) == 2 and "commands:" in capsys.readouterr().out


def test_options_may_follow_positionals():
    args = cli.parse_args(["lessons", "run", "--fast", "lesson01", "--exercises", "lesson02"])
    assert (args.action, args.names, args.fast, args.exercises) == ("run", ["lesson01", "lesson02"], True, True)
    args = cli.parse_args(["colorize", "a.png", "--model", "m", "b.png", "--out", "o", "--debug"])
    assert (args.images, args.model, args.out, args.debug) == (["a.png", "b.png"], "m", "o", True)
    args = cli.parse_args(["--debug", "train", "--out", "o", "zhang", "--epochs", "3"])
    assert (args.model, args.epochs, args.debug, args.command) == ("zhang", 3, True, "train")


def test_check_output_folder(tmp_path):
    (tmp_path / "file.txt").write_text("x")
    assert cli.check_output_folder(tmp_path / "new" / "deeper") == tmp_path / "new" / "deeper"
    with pytest.raises(cli.UsageError, match="--out '.*file.txt' is a file; give a folder"):
        cli.check_output_folder(tmp_path / "file.txt")
    with pytest.raises(cli.UsageError, match="file.txt' is a file, not a folder"):
        cli.check_output_folder(tmp_path / "file.txt" / "sub", "--out")
    assert not (tmp_path / "new").exists()  # a check, not a mkdir


def test_check_output_folder_refuses_a_read_only_folder(read_only_folder):
    locked = read_only_folder
    with pytest.raises(cli.UsageError, match="no permission to write in '.*locked'"):
        cli.check_output_folder(locked / "out")


# The lines TensorFlow 2.21 writes to file descriptor 2 while it is imported, and a line that is
# not one of its start-up notes (it must get through).
TF_NOTES = (
    b"WARNING: All log messages before absl::InitializeLog() is called are written to STDERR\n"
    b"I0000 00:00:1796112931.089939    4784 port.cc:153] oneDNN custom operations are on. You may "
    b"see slightly different numerical results due to floating-point round-off errors from "
    b"different computation orders. To turn them off, set the environment variable "
    b"`TF_ENABLE_ONEDNN_OPTS=0`.\n"
    b"I0000 00:00:1796112931.134279    4784 cpu_feature_guard.cc:227] This TensorFlow binary is "
    b"optimized to use available CPU instructions in performance-critical operations.\n"
    b"To enable the following instructions: AVX2 AVX512F AVX512_VNNI FMA, in other operations, "
    b"rebuild TensorFlow with the appropriate compiler flags.\n"
)
OTHER = b"E0000 00:00:1796112931.2 4784 cuda_dnn.cc:8310] Unable to register cuDNN factory\n"


@pytest.fixture()
def noisy_module(tmp_path, monkeypatch):
    """A module that, like TensorFlow, writes its notes to file descriptor 2 when imported."""
    name = f"noisy_{tmp_path.name.replace('-', '_')}"
    (tmp_path / f"{name}.py").write_text(f"import os\nos.write(2, {TF_NOTES + OTHER!r})\nVALUE = 42\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    yield name
    sys.modules.pop(name, None)


@pytest.mark.parametrize("level, shown", [(None, OTHER), ("2", OTHER), ("1", OTHER), ("0", TF_NOTES + OTHER)])
def test_tensorflow_notes_are_filtered_unless_the_user_wants_them(level, shown, noisy_module, monkeypatch, capfd):
    if level is None:
        monkeypatch.delenv("TF_CPP_MIN_LOG_LEVEL", raising=False)
    else:
        monkeypatch.setenv("TF_CPP_MIN_LOG_LEVEL", level)
    assert cli._import_quietly(noisy_module).VALUE == 42
    assert capfd.readouterr().err == shown.decode()
    assert os.environ["TF_CPP_MIN_LOG_LEVEL"] == (level or "2")  # a user's own setting wins


def test_a_failing_import_restores_stderr(tmp_path, monkeypatch, capfd):
    (tmp_path / "broken_dep.py").write_text(f"import os\nos.write(2, {TF_NOTES!r} + b'real trouble\\n')\n"
                                            "raise ImportError('libfoo.so not found')\n")  # fmt: skip
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setenv("TF_CPP_MIN_LOG_LEVEL", "2")
    with pytest.raises(ImportError, match="libfoo"):
        cli._import_quietly("broken_dep")
    os.write(2, b"after\n")
    assert capfd.readouterr().err == "real trouble\nafter\n"
