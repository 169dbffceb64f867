import numpy as np
import pytest

from skpapers.datasets import list_keel, load_keel


def test_list_keel():
    names = list_keel()
    assert "iris" in names and names == sorted(names)
    assert len(list_keel("imbalanced")) > 0


def test_iris_has_its_known_shape_and_classes():
    iris = load_keel("iris")
    assert iris.data.shape == (150, 4) and iris.data.dtype == np.float64
    np.testing.assert_array_equal(np.bincount(iris.target), [50, 50, 50])
    assert not iris.categorical.any()
    # first row of the classic table: 5.1, 3.5, 1.4, 0.2, Iris-setosa
    np.testing.assert_array_equal(iris.data[0], [5.1, 3.5, 1.4, 0.2])
    assert iris.target_names[iris.target[0]] == "Iris-setosa"


def test_categorical_columns_are_ordinal_encoded():
    mushroom = load_keel("mushroom")
    assert mushroom.categorical.all()
    for column in mushroom.data.T:
        codes = np.unique(column)
        np.testing.assert_array_equal(codes, np.arange(codes.size))


def test_unknown_names_and_kinds_are_clear_errors():
    with pytest.raises(ValueError, match="Unknown KEEL data set 'nope'"):
        load_keel("nope")
    with pytest.raises(ValueError, match="kind must be one of"):
        list_keel("medium")
