"""Settings of the drift room (prefix REVIEWBOT_DRIFT_).

Until 0.2 these were storage settings (REVIEWBOT_STORAGE_DRIFT_PSI_THRESHOLD, _BINS,
_MIN_REVIEWS); those names still work for one release, with a deprecation warning.
"""

from typing import ClassVar

from pydantic import Field

from reviewbot.settings import RenamedVariables, room_config


class DriftSettings(RenamedVariables):
    model_config = room_config("REVIEWBOT_DRIFT_")

    renamed_from: ClassVar[dict[str, str]] = {
        "psi_threshold": "REVIEWBOT_STORAGE_DRIFT_PSI_THRESHOLD",
        "bins": "REVIEWBOT_STORAGE_DRIFT_BINS",
        "min_reviews": "REVIEWBOT_STORAGE_DRIFT_MIN_REVIEWS",
    }

    #: A PSI of p_positive at or above this marks drift (0.1 = moderate, 0.25 = major shift).
    psi_threshold: float = Field(0.2, gt=0)
    #: Equal-width bins of p_positive for the PSI.
    bins: int = Field(10, ge=2)
    #: Segments (a language, a window) with fewer reviews than this get no PSI verdict.
    min_reviews: int = Field(50, ge=1)
