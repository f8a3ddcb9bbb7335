"""Value ranges from held-out round 40 and whole-repository set 42: a positive value over one that
is only ever 0 or more is positive or ``+inf``, never 0, so the ``log`` of clipped odds is not
where the hazard is (the division under it is); a sum that takes its smoothing constant first
(``(tp + smooth) + fp``) is guarded as ``tp + fp + smooth`` is; one minus an overlap index (focal
Tversky) under a fractional power is 0 only at an exact fit, while a focal term of single
elements, and a ratio whose other terms read only the labels, stay flagged."""

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


@pytest.mark.parametrize("returned, flagged", [
    # a smoothing term guards a sum wherever it is added
    ("1 - (tp + smooth) / ((tp + smooth) + fp)", False),
    ("1 - (tp + smooth) / (fp + (tp + smooth))", False),
    ("1 - (tp + smooth) / (tp + fp + smooth)", False),
    ("1 - (tp + smooth) / ((tp + smooth) - fp)", True),
    ("1 - (tp + smooth) / (-(tp + smooth) + fp)", True),
    ("1 - (tp + smooth) / (tp + fp)", True),
    # one minus an overlap index under a fractional power is 0 only at an exact fit
    ("K.pow(1 - (tp + 1.0) / (tp + 0.7 * fn + 0.3 * fp + 1.0), 0.75)", False),
    ("K.pow(1 - K.mean((tp + 1.0) / (tp + 0.7 * fn + 0.3 * fp + 1.0)), 0.75)", False),
    ("K.mean(K.pow(1 - pt, 0.75))", True),
    ("K.pow(1 - tp / (tp + K.sum(y_true) + 1.0), 0.75)", True),
    ("K.pow(1 - (tp + 1.0) / (fn + 1.0), 0.75)", True),
])
def test_overlap_losses(returned: str, flagged: bool) -> None:
    source = source_of(f'''
        from tensorflow.keras import backend as K


        def overlap_loss(y_true, y_pred, smooth=1e-6):
            tp = K.sum(y_true * y_pred)
            fn = K.sum(y_true * (1 - y_pred))
            fp = K.sum((1 - y_true) * y_pred)
            pt = y_true * y_pred + (1 - y_true) * (1 - y_pred)
            return {returned}


        model.compile(optimizer='adam', loss=overlap_loss)
        ''')
    assert bool(_columns(source)) is flagged
