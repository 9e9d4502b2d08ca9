"""The public surface listed in rnnviz.__all__ exists, and nothing else is reachable by mistake."""
import pytest

import rnnviz


@pytest.mark.parametrize("name", rnnviz.__all__)
def test_every_public_name_resolves(name):
    assert getattr(rnnviz, name) is not None


def test_unknown_name_is_a_clear_attribute_error():
    with pytest.raises(AttributeError, match="no attribute 'tracee'"):
        rnnviz.tracee  # noqa: B018
