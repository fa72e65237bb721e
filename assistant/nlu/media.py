"""Which media player a media request means when it names none: the one whose state the request acts on.

'Pause', 'next', 'make it louder' act on what is playing; 'resume' on what is paused. When exactly one player is in
that state (within the named or the speaker's room first, then the home), the request means that player; with none
or several, the state says nothing and the request is ambiguous as before.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

from contracts.home import Entity

__all__ = ["ACTIVE_STATES", "active_players", "implied_player"]

ACTIVE_STATES: Mapping[str, tuple[str, ...]] = {
    "HassMediaPause": ("playing",),
    "HassMediaNext": ("playing",),
    "HassMediaPrevious": ("playing",),
    "HassSetVolume": ("playing",),
    "HassSetVolumeRelative": ("playing",),
    "HassMediaPlayerMute": ("playing",),
    "HassMediaPlayerUnmute": ("playing",),
    "HassMediaUnpause": ("paused",),
}
"""Per media intent, the player states it acts on when the request does not say which player."""


def active_players(intent: str, ids: Iterable[str], live: Callable[[str], Entity | None]) -> list[str]:
    """The media players among ``ids`` whose current state is one the intent acts on (in the given order)."""
    states = ACTIVE_STATES.get(intent)
    if states is None:
        return []
    out = []
    for i in ids:
        e = live(i)
        if e is not None and e.domain == "media_player" and e.state in states:
            out.append(i)
    return out


def implied_player(
    intent: str,
    ids: Iterable[str],
    live: Callable[[str], Entity | None],
    *,
    speaker_area: str | None = None,
) -> str | None:
    """The one player among ``ids`` (the players that fit the request's words) that the intent's state implies:
    the only active one in the speaker's room, else the only active one among ``ids``; None when none or several."""
    active = active_players(intent, ids, live)
    if speaker_area:
        local = [i for i in active if (e := live(i)) is not None and e.area_id == speaker_area]
        if len(local) == 1:
            return local[0]
    return active[0] if len(active) == 1 else None
