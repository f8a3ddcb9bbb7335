"""Value ranges from held-out round 40 and whole-repository set 42: a positive value over one that
is only ever 0 or more is positive or ``+inf``, never 0, so the ``log`` of clipped odds is not
where the hazard is (the division under it is); a sum that takes its smoothing constant first
(``(tp + smooth) + fp``) is guarded as ``tp + fp + smooth`` is."""

from __future__ import annotations

import pytest

from tests.conftest import source_of
from tfshape_lint.engine import lint_source

ODDS = source_of('''
    from tensorflow.keras import backend as K


    def lovasz_logits(y_true, y_pred):
        y_pred = K.clip(y_pred, 1e-12, 1.0 - 1e-12)
        logits = K.log(y_pred / (1.0 - y_pred))
        return K.mean(K.binary_crossentropy(y_true, logits, from_logits=True), axis=-1)
    ''')


def _columns(source: str) -> set[int]:
    return {f.column for f in lint_source(source, "loss.py") if f.code == "TFS401"}


def test_the_log_of_clipped_odds_is_not_reported_but_their_division_is() -> None:
    columns = _columns(ODDS)
    log_column = ODDS.splitlines()[5].index("K.log")
    div_column = ODDS.splitlines()[5].index("y_pred /")
    assert log_column not in columns
    assert div_column in columns


@pytest.mark.parametrize("denominator, guarded", [
    ("(tp + smooth) + fp", True),
    ("fp + (tp + smooth)", True),
    ("tp + fp + smooth", True),
    ("(tp + smooth) - fp", False),
    ("-(tp + smooth) + fp", False),
    ("tp + fp", False),
])
def test_smoothing_is_a_guard_wherever_it_is_added(denominator: str, guarded: bool) -> None:
    source = source_of(f'''
        from tensorflow.keras import backend as K


        def overlap_loss(y_true, y_pred, smooth=1e-6):
            tp = K.sum(y_true * y_pred)
            fp = K.sum(y_pred * (1 - y_true))
            return 1 - (tp + smooth) / ({denominator})


        model.compile(optimizer='adam', loss=overlap_loss)
        ''')
    assert (not _columns(source)) is guarded
