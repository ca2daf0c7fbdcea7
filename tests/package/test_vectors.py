"""cookbook_utils.vectors.unit_rows: rows scaled to length 1, zero rows kept as zeros."""

import numpy as np

from cookbook_utils.vectors import unit_rows


def test_rows_are_scaled_to_length_one_and_zero_rows_stay_zero():
    rows = unit_rows([[3.0, 4.0], [0.0, 0.0], [0.0, -2.0]])
    assert rows.dtype == np.float32
    assert rows.tolist() == [[0.6000000238418579, 0.800000011920929], [0.0, 0.0], [0.0, -1.0]]


def test_one_vector_and_another_dtype():
    vector = unit_rows([1.0, 1.0, 1.0, 1.0], dtype=np.float64)
    assert vector.dtype == np.float64 and vector.tolist() == [0.5, 0.5, 0.5, 0.5]
