"""Build step: the wheel carries the site's templates, static files and compiled translations.

``templates/`` and ``static/`` live at the top of the repository; a build copies them into
the package as ``app/templates`` and ``app/static`` (where ``app.paths`` looks first), and
compiles each ``messages.po`` into the ``messages.mo`` that Flask-Babel reads. Everything
else is in ``pyproject.toml``.
"""

from __future__ import annotations

from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent
SITE_FOLDERS = ("templates", "static")


class BuildWithSiteFiles(build_py):
    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return  # an editable install reads the checkout's own folders
        package = Path(self.build_lib) / "app"
        for folder in SITE_FOLDERS:
            self.copy_tree(str(HERE / folder), str(package / folder))
        self._compile_translations(package / "translations")

    def _compile_translations(self, target: Path) -> None:
        from babel.messages.mofile import write_mo
        from babel.messages.pofile import read_po

        for po in sorted((HERE / "app" / "translations").glob("*/LC_MESSAGES/messages.po")):
            out = target / po.relative_to(HERE / "app" / "translations").with_suffix(".mo")
            out.parent.mkdir(parents=True, exist_ok=True)
            with po.open("rb") as source:
                catalog = read_po(source, locale=po.parent.parent.name)
            with out.open("wb") as sink:
                write_mo(sink, catalog)


setup(cmdclass={"build_py": BuildWithSiteFiles})
