"""Everything about the package is in pyproject.toml; this file only adds the lesson notebooks.

The repository's ``lessons/`` is the truth (sources and the notebooks generated from them). A wheel
must carry the notebooks so that ``pip install chroma-lab`` gives a student the lessons
(``chroma-lab lessons copy DIR``): building the package copies ``lessons/notebooks``,
``lessons/exercises`` and ``lessons/README.md`` into ``chroma_lab/lesson_files/`` of the build,
never into the source tree. In a clone, ``chroma_lab.lessons.lesson_files`` reads ``lessons/``.
"""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

LESSONS = Path(__file__).resolve().parent / "lessons"


class build_py_with_lessons(build_py):
    def run(self):
        super().run()
        target = Path(self.build_lib) / "chroma_lab" / "lesson_files"
        for folder in ("notebooks", "exercises"):
            (target / folder).mkdir(parents=True, exist_ok=True)
            for notebook in sorted((LESSONS / folder).glob("lesson*.ipynb")):
                shutil.copyfile(notebook, target / folder / notebook.name)
        shutil.copyfile(LESSONS / "README.md", target / "README.md")


setup(cmdclass={"build_py": build_py_with_lessons})
