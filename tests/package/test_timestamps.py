import pytest

from cookbook_utils import format_timestamp


@pytest.mark.parametrize(
    ("ms", "text"),
    [(0, "0:00:00"), (999, "0:00:00"), (83_456, "0:01:23"), (3_600_000, "1:00:00"), (36_061_000, "10:01:01")],
)
def test_format_timestamp(ms, text):
    assert format_timestamp(ms) == text


def test_format_timestamp_with_millis():
    assert format_timestamp(83_456, millis=True) == "0:01:23.456"


def test_negative_timestamp_is_an_error():
    with pytest.raises(ValueError):
        format_timestamp(-1)
