"""Sphinx configuration of the sklearn-maec documentation.

Build it (from the repository root, with ``pip install -e ".[docs]"``)::

    sphinx-build -W --keep-going -b html docs docs/_build/html

The examples gallery (``examples/plot_*.py``) is executed during the build.
For a quick build of the text alone add ``-D plot_gallery=0``.
"""

import os
import sys
import warnings
from pathlib import Path

import sklearn_maec

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))  # gallery_order.py

# -- Project -------------------------------------------------------------------------------------
project = "sklearn-maec"
author = "sklearn-maec developers"
copyright = "sklearn-maec developers"  # noqa: A001 (Sphinx's name)
release = sklearn_maec.__version__
version = ".".join(release.split(".")[:2])

# -- General -------------------------------------------------------------------------------------
extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
]

templates_path = ["_templates"]
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store", "_templates",
                    "auto_examples/*.ipynb", "auto_examples/*.py", "auto_examples/*.zip",
                    "auto_examples/*.json", "auto_examples/*.md5"]
root_doc = "index"
default_role = "literal"  # `text` is code, as in Markdown
# No intersphinx: the build runs without network access (CI reaches package registries only),
# so references to pandas / scikit-learn / skorch objects render as plain text.
nitpicky = False

# -- autodoc / autosummary / numpydoc ------------------------------------------------------------
autosummary_generate = True
autosummary_imported_members = False
autodoc_typehints = "none"
autodoc_member_order = "bysource"
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_attributes_as_param_list = True
numpydoc_xref_param_type = False

# -- sphinx-gallery ------------------------------------------------------------------------------
sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    # every plot_*.py script is executed; anything else is only rendered
    "filename_pattern": r"/plot_",
    "ignore_pattern": r"__init__\.py|/_",
    "doc_module": ("sklearn_maec",),
    "backreferences_dir": "generated/backreferences",
    "reference_url": {"sklearn_maec": None},
    "image_scrapers": ("matplotlib",),
    # the quick start first, then a tour (docs/gallery_order.py); other examples by name
    "within_subsection_order": "gallery_order.example_order",
    "remove_config_comments": True,
    "show_memory": False,
    "min_reported_time": 1,
    # no sg_execution_times.rst in the source tree (the build log has the times)
    "write_computation_times": False,
    # a failing example fails the build
    "only_warn_on_example_error": False,
    "abort_on_example_error": False,
    # the examples run side by side, one process each (joblib's loky workers, whose
    # BLAS/OpenMP/torch threads joblib limits to their share of the cores): much of an
    # example is one-threaded (generating the audio, openSMILE, plotting), so on two
    # cores two examples at a time keep both busy.  The quick start opts out
    # (``# sphinx_gallery_parallel = False``): it runs first, alone, on every core, as a
    # reader's run of the script does, so it prints a reader's numbers (the thread count
    # changes the order of floating-point sums, and so a training's last digits)
    "parallel": max(1, min(os.cpu_count() or 1, 6)),
}

# The examples draw with matplotlib; the gallery's scraper collects the figures, so the
# build needs no display.
os.environ.setdefault("MPLBACKEND", "Agg")
# Warnings an example prints would end up in the rendered page; keep the noisy ones out.
warnings.filterwarnings("ignore", category=DeprecationWarning)
warnings.filterwarnings("ignore", category=FutureWarning)
# ... in the processes that run the examples too (they start with this environment)
os.environ.setdefault("PYTHONWARNINGS", "ignore::DeprecationWarning,ignore::FutureWarning")


def _write_cli_help():
    """Write ``sklearn-maec [command] --help`` to ``generated/cli/*.txt`` for the CLI page.

    The command-line reference then shows exactly what ``--help`` prints, from
    the same parser, and cannot drift from it.  Files are only rewritten when
    their text changes, so incremental builds stay incremental.
    """
    import argparse

    from sklearn_maec.cli import build_parser

    columns = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = "88"  # argparse wraps at the terminal width: make it fixed
    try:
        parser = build_parser()
        texts = {"sklearn-maec": parser.format_help()}
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                texts.update({name: sub.format_help() for name, sub in action.choices.items()})
    finally:
        if columns is None:
            del os.environ["COLUMNS"]
        else:
            os.environ["COLUMNS"] = columns
    out = HERE / "generated" / "cli"
    out.mkdir(parents=True, exist_ok=True)
    for name, text in texts.items():
        path = out / f"{name}.txt"
        if not path.is_file() or path.read_text() != text:
            path.write_text(text)


_write_cli_help()


def _skip_member(app, what, name, obj, skip, options):
    """Leave out scikit-learn's generated metadata-routing setters (``set_fit_request`` ...).

    scikit-learn adds them to every estimator class; they are documented in
    scikit-learn's metadata-routing guide, not here.
    """
    if name.startswith("set_") and name.endswith("_request"):
        return True
    return None


def setup(app):
    app.connect("autodoc-skip-member", _skip_member)

# -- HTML ----------------------------------------------------------------------------------------
html_theme = "pydata_sphinx_theme"
html_title = f"sklearn-maec {release}"
html_static_path = ["_static"]
html_css_files = ["custom.css"]
html_show_sourcelink = False
html_theme_options = {
    "github_url": "https://github.com/sklearn-maec/sklearn-maec",
    "navbar_align": "left",
    "show_toc_level": 2,
    "navigation_with_keys": False,
    "secondary_sidebar_items": ["page-toc"],
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version"],
}
html_sidebars = {"index": [], "getting_started": []}

# The package must be importable from the checkout this configuration belongs to.
if not Path(sklearn_maec.__file__).resolve().is_relative_to(HERE.parent):
    print(f"note: documenting sklearn_maec from {Path(sklearn_maec.__file__).parent}, not "
          f"from {HERE.parent}", file=sys.stderr)
