"""The lessons travel with the package: ``chroma-lab lessons copy DIR`` and a wheel that holds them."""

import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from chroma_lab.cli import main
from chroma_lab.lessons import copy_lessons

ROOT = Path(__file__).resolve().parents[1]


def test_copy_writes_the_notebooks_and_refuses_to_overwrite(tmp_path, capsys):
    assert main(["lessons", "copy", str(tmp_path / "mine"), "--exercises"]) == 0
    names = sorted(p.name for p in (tmp_path / "mine").iterdir())
    assert names == sorted([p.name for p in (ROOT / "lessons" / "exercises").glob("*.ipynb")] + ["README.md"])
    assert (tmp_path / "mine" / "lesson01_color_spaces.ipynb").read_bytes() == \
        (ROOT / "lessons" / "exercises" / "lesson01_color_spaces.ipynb").read_bytes()  # fmt: skip
    (tmp_path / "mine" / "lesson01_color_spaces.ipynb").write_text("my work")
    capsys.readouterr()
    assert main(["lessons", "copy", str(tmp_path / "mine")]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("chroma-lab lessons: error: '") and "exists already" in err and "--force" in err
    assert len(err.splitlines()) == 1
    assert (tmp_path / "mine" / "lesson01_color_spaces.ipynb").read_text() == "my work"  # nothing written
    written = copy_lessons(tmp_path / "mine", force=True)
    assert (tmp_path / "mine" / "lesson01_color_spaces.ipynb").read_bytes() == \
        (ROOT / "lessons" / "notebooks" / "lesson01_color_spaces.ipynb").read_bytes()  # fmt: skip
    assert len(written) == len(names)
    assert main(["lessons", "copy"]) == 1 and "takes one folder DIR" in capsys.readouterr().err


@pytest.mark.parametrize("exercises", [True, False])
def test_the_copied_readme_fits_its_folder(tmp_path, exercises):
    copy_lessons(tmp_path, exercises=exercises)
    readme = (tmp_path / "README.md").read_text()
    notebooks = sorted(p.name for p in tmp_path.glob("*.ipynb"))
    assert all(f"`{name}`" in readme for name in notebooks) and "jupyter lab" in readme
    # nothing of the repository: no editable install, no root, no build command, no lessons/ paths
    for words in ("pip install -e", "repository", "lessons build", "lessons/", "{notebooks}"):
        assert words not in readme, words
    if exercises:  # how to do, check and hand in; no pointer to the solutions
        assert "Name:" in readme and "PASS" in readme and "chroma-lab grade" in readme
        assert "solution" not in readme.lower() and "teaching" not in readme.lower()


@pytest.mark.slow
@pytest.mark.notebook
def test_lessons_run_takes_the_notebooks_a_wheel_carries(tmp_path):
    # the built wheel unpacked as pip would install it (pure Python), run where there is no lessons/
    env = dict({k: v for k, v in os.environ.items() if k != "PYTHONPATH"}, TF_CPP_MIN_LOG_LEVEL="2")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w",
                    str(tmp_path / "wheels"), str(ROOT)], check=True, cwd=tmp_path, env=env)  # fmt: skip
    [wheel] = (tmp_path / "wheels").glob("chroma_lab-*.whl")
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    assert (site / "chroma_lab" / "lesson_files" / "exercises" / "lesson01_color_spaces.ipynb").is_file()
    ran = subprocess.run([sys.executable, "-m", "chroma_lab.cli", "lessons", "run", "lesson01", "--exercises",
                          "--fast"], env=dict(env, PYTHONPATH=str(site)), cwd=tmp_path, capture_output=True,
                         text=True, check=False)  # fmt: skip
    assert ran.returncode == 0, ran.stderr[-2000:]
    assert re.fullmatch(r"lesson01_color_spaces: +[\d.]+ s \(fast mode\), 0 PASS, 6 FAIL", ran.stdout.strip())


@pytest.mark.slow
@pytest.mark.notebook
def test_a_student_installs_the_wheel_and_runs_an_exercise(tmp_path):
    # as a student meets it: the wheel, a fresh virtual environment, lessons copied out, lesson 1
    # run there. The venv's dependencies are the ones this interpreter runs with, so nothing is
    # downloaded: a .pth file lists this interpreter's site-packages folders, the system's or an
    # outer venv's (--system-site-packages would see only the base interpreter's). A .pth line
    # adds a folder without running the .pth files inside it, so an editable install of
    # chroma_lab there cannot stand in for the wheel.
    wheels, venv, student = tmp_path / "wheels", tmp_path / "venv", tmp_path / "student"
    # without PYTHONPATH: this tree (or an editable install) must not stand in for the wheel
    env = dict({k: v for k, v in os.environ.items() if k != "PYTHONPATH"}, TF_CPP_MIN_LOG_LEVEL="2")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w",
                    str(wheels), str(ROOT)], check=True, cwd=tmp_path, env=env)  # fmt: skip
    [wheel] = wheels.glob("chroma_lab-*.whl")
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, env=env)
    python = venv / "bin" / "python"
    venv_site = subprocess.run([python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                               check=True, capture_output=True, text=True, env=env).stdout.strip()  # fmt: skip
    outer = [p for p in sys.path if Path(p).name in ("site-packages", "dist-packages")]
    (Path(venv_site) / "outer_site_packages.pth").write_text("\n".join(outer) + "\n")
    subprocess.run([python, "-m", "pip", "install", "-q", "--no-deps", "--force-reinstall", str(wheel)],
                   check=True, cwd=tmp_path, env=env)  # fmt: skip
    copied = subprocess.run([venv / "bin" / "chroma-lab", "lessons", "copy", str(student), "--exercises"],
                            env=env, cwd=tmp_path, capture_output=True, text=True, check=True)  # fmt: skip
    assert "copied" in copied.stdout
    assert (student / "lesson01_color_spaces.ipynb").is_file() and (student / "README.md").is_file()
    script = ("import chroma_lab\nfrom chroma_lab.lessons import run_notebook\n"
              "print(chroma_lab.__file__)\n"
              f"seconds, lines = run_notebook({str(student / 'lesson01_color_spaces.ipynb')!r}, fast=True)\n"
              "print(*lines, sep='\\n')\n")  # fmt: skip
    ran = subprocess.run([python, "-c", script], env=env, cwd=tmp_path, capture_output=True, text=True, check=False)
    assert ran.returncode == 0, ran.stderr[-2000:]
    lines = ran.stdout.splitlines()
    assert lines[0].startswith(str(venv))  # the wheel's copy of chroma_lab ran
    checks = [line for line in lines if line.startswith(("PASS:", "FAIL:"))]
    assert len(checks) == 6 and all(line.startswith("FAIL: not implemented yet") for line in checks)
