"""How API field names become label values.

The licence and server endpoints name their modules and features as JSON keys (``FaceDetectorChannels``,
``IsVideoWallEnabled``). Those keys are the exporter's categories, so they become snake_case label values
with the suffix that only repeats the metric's meaning dropped. Values the API reports as *data* (camera
state, object class, gender, age group, emotion, product type) are kept exactly as reported; see
docs/metrics.md.
"""

from __future__ import annotations

import re

# One word of a PascalCase name, tried in this order at each position:
#   a digit run together with the capitals right after it, unless the last capital starts a
#     capitalised word ("3D" in "PeopleCnt3DChannels", "3" in "Cnt3Channels");
#   an acronym: capitals not followed by a lowercase letter ("PTZ" in "PTZChannels");
#   a capitalised or lowercase word ("People", "cnt");
#   anything else that is not a separator, so no character is ever silently lost.
_WORD = re.compile(r"\d+[A-Z]*(?![a-z])|[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[^\W_]+")


def snake_case(name: str) -> str:
    """``"PeopleCnt3DChannels"`` -> ``"people_cnt_3d_channels"``.

    Words are split at lower-to-upper changes, before the last capital of an acronym that starts a
    capitalised word, and before a run of digits; a run of digits keeps the capitals that directly follow
    it (``3D``). Underscores and other non-alphanumerics separate words and are not kept.
    """
    return "_".join(word.lower() for word in _WORD.findall(name))


def _drop_suffix(words: str, suffix: str) -> str:
    # Only drop a whole trailing word, and never the only one: TotalLicParams' "Channels" stays "channels".
    if words.endswith("_" + suffix):
        return words[: -len(suffix) - 1]
    return words


def module_label(name: str) -> str:
    """A licence module or a TotalLicParams/UsedLicParams key -> its label value.

    ``"FaceDetectorChannels"`` -> ``"face_detector"``, ``"Channels"`` -> ``"channels"``,
    ``"ShelfFullnessDetectors"`` -> ``"shelf_fullness_detectors"`` (it breaks the *Channels naming and is
    kept whole).
    """
    return _drop_suffix(snake_case(name), "channels")


def feature_label(name: str) -> str:
    """A licence feature flag -> its label value: ``"IsVideoWallEnabled"`` -> ``"video_wall"``,
    ``"VideoAnalystServer"`` -> ``"video_analyst_server"``."""
    words = _drop_suffix(snake_case(name), "enabled")
    if words.startswith("is_"):
        words = words[3:]
    return words
