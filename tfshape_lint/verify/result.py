"""The verifier's verdict on one finding: plain data, shared by the parent and the formats."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any, Mapping


class Status(str, enum.Enum):
    """``confirmed``: the bug manifested (error text or a measured wrong value/gradient);
    ``refuted``: every probe ran cleanly and matched its reference; ``inconclusive``: neither
    (the loss could not be extracted or run, a probe timed out, or the rule has no probe)."""

    CONFIRMED = "confirmed"
    REFUTED = "refuted"
    INCONCLUSIVE = "inconclusive"


@dataclass(frozen=True)
class Verification:
    """What ``--verify`` found for one finding; JSON/SARIF carry :meth:`to_dict`."""

    status: Status
    evidence: str
    device: str = ""
    keras: str = ""
    seconds: float = 0.0
    cached: bool = False
    #: the worker's first import of installed packages the loss's file imports
    #: (``tensorflow_probability``), paid once per worker like TensorFlow's and not in ``seconds``
    import_seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        """``{status, evidence, device, keras, seconds, import_seconds}`` (plus ``cached`` when
        true)."""
        out: dict[str, Any] = {"status": self.status.value, "evidence": self.evidence,
                               "device": self.device, "keras": self.keras,
                               "seconds": round(self.seconds, 3), "import_seconds": round(self.import_seconds, 3)}
        if self.cached:
            out["cached"] = True
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, cached: bool = False) -> Verification:
        """Inverse of :meth:`to_dict` (used by the cache and the worker protocol)."""
        return cls(Status(data["status"]), str(data.get("evidence", "")),
                   str(data.get("device", "")), str(data.get("keras", "")),
                   float(data.get("seconds", 0.0)), cached, float(data.get("import_seconds", 0.0)))


def inconclusive(reason: str, *, device: str = "", keras: str = "", seconds: float = 0.0) -> Verification:
    """Shorthand for the many ways a probe can fail to decide."""
    return Verification(Status.INCONCLUSIVE, reason, device, keras, seconds)
