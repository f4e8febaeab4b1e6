"""Who may read a piece of free text written into the monitoring: a check-in's note, an
incident's text (DESIGN §6: sender free text never crosses).

Words cannot be judged safe by looking at them ("medical follow-up arranged" tells of health),
so the author says at entry who will read them, and nothing crosses unless the author said so.
`SENDER` is also the reading of every text written before authors were asked.

Pure: the API, the pages, the command line and the views apply `readable` to every such text
they hand to a reader.
"""

from __future__ import annotations

from types import MappingProxyType

from accord.records.vocabulary import AUDIENCE_HELP as AUDIENCE_HELP
from accord.records.vocabulary import Audience as Audience
from accord.workflow.disclosure import SEES_EVERYTHING
from accord.workflow.transitions import Role

AUDIENCE_TEXT: MappingProxyType[Audience, str] = MappingProxyType(
    {
        Audience.SENDER: "the sender's staff only",
        Audience.SHARED: "shared with the receiving state and the monitors",
    }
)
"""What each audience means, in the words the forms and the sender's views use."""

WITHHELD = "note for the sender's staff"
"""What a page shows a reader in place of a text that is not theirs to read."""


def audience_of(shared: bool) -> Audience:
    """The audience stored as the `shared` flag of a check-in or an incident."""
    return Audience.SHARED if shared else Audience.SENDER


def readable(text: str | None, shared: bool, role: Role) -> str | None:
    """The text as the role may read it: all of it for the sender's staff, a shared text for
    anyone else, and None otherwise (or when there is no text): a withheld text and an empty
    one read the same."""
    if not text:
        return None
    return text if shared or role in SEES_EVERYTHING else None


def audience_seen(shared: bool, role: Role) -> Audience | None:
    """Who the text is for, told to the sender's staff only: to anyone else, the choice the
    sender's staff made would say something of what they withheld."""
    return audience_of(shared) if role in SEES_EVERYTHING else None
