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


@pytest.mark.parametrize("base, flagged", [
    ("1 - (tp + 1.0) / (tp + 0.7 * fn + 0.3 * fp + 1.0)", False),
    ("1 - K.mean((tp + 1.0) / (tp + 0.7 * fn + 0.3 * fp + 1.0))", False),
    ("1 - pt", True),
    ("1 - tp / (tp + K.sum(y_true))", True),
    ("1 - (tp + 1.0) / (fn + 1.0)", True),
])
def test_one_minus_an_overlap_index_is_no_hazard_for_a_fractional_power(base: str, flagged: bool) -> None:
    source = source_of(f'''
        from tensorflow.keras import backend as K


        def focal_overlap(y_true, y_pred):
            tp = K.sum(y_true * y_pred)
            fn = K.sum(y_true * (1 - y_pred))
            fp = K.sum((1 - y_true) * y_pred)
            pt = y_true * y_pred + (1 - y_true) * (1 - y_pred)
            return K.mean(K.pow({base}, 0.75))


        model.compile(optimizer='adam', loss=focal_overlap)
        ''')
    bases = [f for f in lint_source(source, "loss.py") if f.code == "TFS401" and "base of" in f.message]
    assert bool(bases) is flagged
