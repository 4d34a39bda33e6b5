"""The one check of option parameters (``_validation.check_option``) and its users."""

import numpy as np
import pandas as pd
import pytest

from sklearn_maec import MAECClassifier, OpenSmileSegmenter
from sklearn_maec._validation import check_option
from sklearn_maec.datasets import load_meld, make_meld_layout


def test_check_option_returns_a_known_value_and_names_the_parameter():
    assert check_option("media", "wav", ("mp4", "wav")) == "wav"
    assert check_option("latent_norm", None, ("batch", None)) is None
    with pytest.raises(ValueError, match=r"media must be one of \('mp4', 'wav'\), got 'avi'"):
        check_option("media", "avi", ("mp4", "wav"))


@pytest.mark.parametrize("value", ["None", "", np.array(["mp4", "wav"]), 1, ["wav"], b"wav"])
def test_check_option_refuses_lookalikes_with_the_same_message(value):
    # the string "None" is not None, an array or a list is not one of its
    # elements, bytes are not a str: each gets the message, not a comparison error
    with pytest.raises(ValueError, match="must be one of"):
        check_option("x", value, ("mp4", "wav", None))


def test_option_parameters_of_every_layer_share_the_message(tmp_path):
    with pytest.raises(ValueError, match=r"split must be one of \('train', 'dev', 'test', 'all'\)"):
        load_meld(tmp_path, split="validation")
    with pytest.raises(ValueError, match=r"media must be one of \('mp4', 'wav'\), got 'avi'"):
        make_meld_layout(tmp_path / "meld", media="avi")
    X = pd.DataFrame({"audio": [np.zeros(16000, dtype=np.float32)], "sampling_rate": [16000]})
    with pytest.raises(ValueError, match=r"on_error must be one of \('raise', 'warn'\)"):
        OpenSmileSegmenter(on_error="skip").fit(X)
    with pytest.raises(ValueError, match=r"prior must be one of \('gaussian', 'class_mixture'\)"):
        MAECClassifier(prior="laplace").fit(pd.DataFrame({"segments": []}), [])
