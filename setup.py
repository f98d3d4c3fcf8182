"""Build step that pyproject.toml cannot express: the Swedish catalogs are compiled while the
package is built, so a wheel (from the tree or from the sdist) carries messages.mo files that
are never committed. Everything else about the package lives in pyproject.toml."""

from __future__ import annotations

from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from setuptools import setup
from setuptools.command.build_py import build_py

TRANSLATIONS = Path("portal") / "translations"


def compile_catalogs(source: Path, target: Path) -> list[str]:
    """Compile every ``<lang>/LC_MESSAGES/messages.po`` under ``source`` into the same place
    under ``target``, as ``pybabel compile`` does (fuzzy entries left out). A catalog whose
    translations break placeholders stops the build. Returns the files written."""
    written = []
    for po in sorted(source.glob("*/LC_MESSAGES/messages.po")):
        with po.open("rb") as handle:
            catalog = read_po(handle, locale=po.parent.parent.name)
        errors = [f"{message.id!r}: {error}" for message, errs in catalog.check()
                  for error in errs]
        if errors:
            raise SystemExit(f"{po}: " + "; ".join(errors[:5]))
        mo = target / po.relative_to(source).with_suffix(".mo")
        mo.parent.mkdir(parents=True, exist_ok=True)
        with mo.open("wb") as handle:
            write_mo(handle, catalog, use_fuzzy=False)
        written.append(str(mo))
    return written


class BuildPyWithCatalogs(build_py):
    """build_py that also compiles the message catalogs into the build (or, for an editable
    install, next to their .po files, where the running code reads them)."""

    def run(self) -> None:
        super().run()
        here = Path(__file__).resolve().parent
        if self.editable_mode:  # the code runs from the tree: the catalogs go beside the .po
            compile_catalogs(here / TRANSLATIONS, here / TRANSLATIONS)
        else:
            self._catalogs = compile_catalogs(here / TRANSLATIONS,
                                              Path(self.build_lib) / TRANSLATIONS)

    def get_outputs(self, include_bytecode: bool = True) -> list[str]:
        return [*super().get_outputs(include_bytecode), *getattr(self, "_catalogs", [])]


setup(cmdclass={"build_py": BuildPyWithCatalogs})
