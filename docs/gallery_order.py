"""Order of the examples in the gallery (sphinx-gallery's ``within_subsection_order``).

The scripts a new user should read first come first, in the order of a tour;
any other example follows, by file name.  Referenced from ``conf.py`` by its
qualified name, so the Sphinx configuration stays picklable.
"""

import os

TOUR = (
    "plot_quickstart.py",
    "plot_synthetic_corpus.py",
    "plot_iemocap_loso.py",
    "plot_cross_corpus.py",
    "plot_latent_space.py",
    "plot_attention.py",
)


def example_order(filename):
    """Sort key of an example file: its place in :data:`TOUR`, then its name."""
    name = os.path.basename(filename)
    return (TOUR.index(name) if name in TOUR else len(TOUR), name)
