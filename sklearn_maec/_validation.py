"""Small private helpers to validate the estimators' inputs and option parameters.

Every estimator upstream of the classifier takes ``X`` as a
:class:`pandas.DataFrame` with one row per utterance. These helpers give the
same error messages everywhere: a ``TypeError`` for anything else, a
``ValueError`` listing missing columns next to the present ones, and rows
named by their ``utterance_id`` when the column exists (else the index label).
"""

import pandas as pd

__all__ = ["check_option", "check_dataframe", "row_label", "describe_rows"]


def check_option(name, value, options):
    """Return ``value`` when it is one of ``options``, else raise a ValueError naming ``name``.

    The one check of every parameter that takes one of a few fixed values
    (strings or None): the message names the parameter, the options and the
    value given, e.g. ``on_error must be one of ('raise', 'warn'), got 'skip'``.
    Only ``None`` matches ``None`` and only a string matches a string, so an
    array or a number is refused with the same message instead of failing on
    its comparison.

    Parameters
    ----------
    name : str
        The parameter's name, as the user writes it.
    value : object
        The value given.
    options : tuple
        The accepted values (strings, or None).

    Returns
    -------
    value : object
        ``value``, unchanged.
    """
    if not any(value is option or (isinstance(value, str) and isinstance(option, str)
                                   and value == option) for option in options):
        raise ValueError(f"{name} must be one of {tuple(options)}, got {value!r}")
    return value


def check_dataframe(X, required_columns, estimator_name):
    """Check that ``X`` is a DataFrame holding ``required_columns``.

    Parameters
    ----------
    X : object
        The input to check.
    required_columns : sequence of str
        Columns ``X`` must have.
    estimator_name : str
        Name used in the error messages.

    Returns
    -------
    X : pandas.DataFrame
        The input, unchanged (not copied).

    Raises
    ------
    TypeError
        If ``X`` is not a :class:`pandas.DataFrame`.
    ValueError
        If a required column is missing; the message lists the missing
        columns and the columns present.
    """
    required = list(required_columns)
    if not isinstance(X, pd.DataFrame):
        raise TypeError(
            f"{estimator_name} expects X to be a pandas DataFrame with one row per "
            f"utterance and the columns {required}; got {type(X).__name__}."
        )
    missing = [c for c in required if c not in X.columns]
    if missing:
        raise ValueError(
            f"{estimator_name}: X is missing the required column(s) {missing}; "
            f"columns present: {list(X.columns)}."
        )
    return X


def _utterance_id(X, position):
    """The row's ``utterance_id``, or None when the column or the value is missing."""
    if "utterance_id" in X.columns:
        value = X["utterance_id"].iloc[position]
        if not (pd.api.types.is_scalar(value) and pd.isna(value)):
            return value
    return None


def row_label(X, position):
    """Return the label naming the row at ``position`` (0-based, like ``iloc``).

    Parameters
    ----------
    X : pandas.DataFrame
        The utterance DataFrame.
    position : int
        Row position, 0-based.

    Returns
    -------
    label : object
        The row's ``utterance_id`` when that column exists and the value is
        not missing, else the row's index label.
    """
    value = _utterance_id(X, position)
    return X.index[position] if value is None else value


def describe_rows(X, positions, max_shown=5):
    """Describe rows for an error message, e.g. ``"utterance_id='u3', index=7"``.

    Parameters
    ----------
    X : pandas.DataFrame
        The utterance DataFrame.
    positions : iterable of int
        Row positions, 0-based.
    max_shown : int, default=5
        At most this many rows are named, followed by how many more there are.

    Returns
    -------
    text : str
        Each row as ``utterance_id=...`` (when it has one) or ``index=...``.
    """
    positions = list(positions)
    parts = []
    for pos in positions[:max_shown]:
        value = _utterance_id(X, pos)
        if value is None:
            parts.append(f"index={X.index[pos]!r}")
        else:
            parts.append(f"utterance_id={value!r}")
    text = ", ".join(parts)
    if len(positions) > max_shown:
        text += f" and {len(positions) - max_shown} more"
    return text
