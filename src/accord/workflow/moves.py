"""Every move on an item, declared once: its one name, who may make it and the guards it checks
(both read from the workflow table), its body, its help, its page form and its command line.

From this table, and nothing else, are built the API's routes (`POST /api/v1/items/{id}/<name>`,
route and operation `items.<name>`), the access rules (`accord.access.RULES["items.<name>"]`),
the pages' forms (`POST /items/{id}/<name>`, page `pages.items.<name>`) and the command line's
commands (`accord item <name>`); a name is written with `-` in a path or a command (`claim_fear`
is `/claim-fear`, `accord item claim-fear`). The command each move runs is bound in its feature
(`accord.proposals.moves`, `accord.monitoring.moves`).

A move makes the transitions it names in the workflow table (`accept` makes `accept`; a fear
claim's outcome makes one of three rows; the onward outcome one of five): each action of the
table belongs to exactly one move. A move that records without changing the item's state (the
interview, a check-in) names none, and says who may make it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal, get_args

from accord.records.moves import (
    CancelIn,
    CheckInIn,
    ClaimFearIn,
    ClearIn,
    FearInterviewIn,
    FearOutcomeIn,
    MoveBody,
    NotifyIn,
    OnwardIn,
    RejectIn,
    RevokeIn,
    ScheduleIn,
)
from accord.records.vocabulary import OnwardOutcome
from accord.workflow.transitions import BY_ACTION, RECEIVER, SENDER, Guard, Role

FormKind = Literal["text", "checked", "unchecked", "number"]
"""How a page form's field becomes a body's field: its text (stripped, None when empty); a
checkbox ticked (`checked`) or left unticked (`unchecked`); a whole number."""


@dataclass(frozen=True, slots=True)
class FormField:
    """One field of a move's page form."""

    name: str
    """The form's field."""
    to: str = ""
    """The body's field it fills (the same name when empty)."""
    kind: FormKind = "text"
    default: str | None = None
    """What an empty text field stands for."""

    @property
    def field(self) -> str:
        return self.to or self.name


@dataclass(frozen=True, slots=True)
class CliParam:
    """One parameter of a move's command: an argument (no flag) or an option, for a body's
    field. Its type, choices and whether it is required are the body's."""

    field: str
    flag: str | None = None
    """`--language`; None for an argument."""
    help: str = ""
    metavar: str | None = None
    negated: bool = False
    """A flag that sets the field to False (`--refused-to-sign` for `signed`)."""
    formats: tuple[str, ...] = ()
    """How a day or a moment is written, for a date or datetime field."""


@dataclass(frozen=True, slots=True)
class Move:
    name: str
    summary: str
    """One line: the API's summary."""
    help: str
    """What the move does, for the command line's help."""
    actions: tuple[str, ...] = ()
    """The workflow table's rows the move makes (none: it records without a move)."""
    body: type[MoveBody] | None = None
    form: tuple[FormField, ...] = ()
    cli: tuple[CliParam, ...] = ()
    acts_as: str = ""
    """For a move of no row: the row whose roles may make it."""
    others: frozenset[Role] = frozenset()
    """For a move of no row and no `acts_as`: the roles that may make it."""
    one_family: str = ""
    """Why the command refuses several items by name (clearance: S14), when it does."""
    roles: frozenset[Role] = field(init=False)
    guards: tuple[Guard, ...] = field(init=False)

    def __post_init__(self) -> None:
        rows = [BY_ACTION[action] for action in self.actions]
        if self.acts_as:
            rows.append(BY_ACTION[self.acts_as])
        roles = frozenset(role for row in rows for role in row.roles) | self.others
        guards = tuple(dict.fromkeys(guard for row in rows for guard in row.guards))
        object.__setattr__(self, "roles", roles)
        object.__setattr__(self, "guards", guards if self.actions else ())

    @property
    def rule(self) -> str:
        """The access rule, the API route's name and its operation id."""
        return f"items.{self.name}"

    @property
    def page(self) -> str:
        """The page route's name."""
        return f"pages.{self.rule}"

    @property
    def verb(self) -> str:
        """The command (`accord item <verb>`) and the last part of the paths."""
        return self.name.replace("_", "-")

    def path(self, item_id: int | str = "{item_id}") -> str:
        """`/items/{item_id}/<verb>`, under /api/v1 for the API and as is for a page."""
        return f"/items/{item_id}/{self.verb}"


WATCHERS: frozenset[Role] = frozenset({*SENDER, *RECEIVER, "monitor"})
"""Who records a check-in after a transfer: the sender's staff, the receiver, the monitors."""
REASON = (FormField("reason_code"), FormField("reason_text"))
CODE_AND_TEXT = (
    CliParam("reason_code", "--code", "Reason code."),
    CliParam("reason_text", "--text", "The reason in words."),
)
CLAIMANT = CliParam(
    "case_id", "--case", "Whose claim, when several members' claims are pending on the item."
)

MOVES: tuple[Move, ...] = (
    Move(
        "accept",
        "Accept a family (reserves its places)",
        "The receiver accepts the family: a place is reserved (S13), after S12 and screening.",
        ("accept",),
    ),
    Move(
        "reject",
        "Reject a family, with a reason",
        "The receiver turns the family down, with a reason code and text.",
        ("reject",),
        RejectIn,
        REASON,
        CODE_AND_TEXT,
    ),
    Move(
        "revoke",
        "Revoke an acceptance (releases its places)",
        "The receiver takes back an acceptance before transfer, with a reason: the place is"
        " released.",
        ("revoke",),
        RevokeIn,
        REASON,
        CODE_AND_TEXT,
    ),
    Move(
        "cancel",
        "Cancel a family before transfer: the sender withdraws it (releases its places)",
        "The sender withdraws the family before transfer (cancelled): any place is released.",
        ("cancel",),
        CancelIn,
        (FormField("reason"),),
        (CliParam("reason", "--reason", "Why the sender withdraws the family."),),
    ),
    Move(
        "notify",
        "Serve written notice (S6): typeset it from the approved template and record it",
        "Serve written notice naming the receiver (S6): the document is typeset from the"
        " approved template in the language given (one the person understands, or one an"
        " interpreter reads to them in their language), and its SHA-256 recorded. Valid only"
        " signed; once every adult and counsel is served, the item is notified.",
        ("notify",),
        NotifyIn,
        (
            FormField("case_id"),
            FormField("recipient", default="person"),
            FormField("language"),
            FormField("interpreter"),
            FormField("read_in"),
            FormField("refused", "signed", "unchecked"),
        ),
        (
            CliParam("case_id", None, "The member served.", "CASE_ID"),
            CliParam("language", "--language", "ISO 639-1 language of the written notice."),
            CliParam("recipient", "--to", "The person, or the person's counsel."),
            CliParam(
                "interpreter",
                "--interpreter",
                "The named interpreter who read the notice to the person (no approved template"
                " in a language they read).",
            ),
            CliParam("read_in", "--read-in", "The language the interpreter read it in."),
            CliParam(
                "signed",
                "--refused-to-sign",
                "The person refused to sign: not service.",
                negated=True,
            ),
        ),
    ),
    Move(
        "claim_fear",
        "Record a member's fear claim about the receiver (S5)",
        "Record a fear claim about the receiver (S5): the item stops until it is decided.",
        ("claim_fear",),
        ClaimFearIn,
        (FormField("case_id"),),
        (CliParam("case_id", None, "The member who fears.", "CASE_ID"),),
    ),
    Move(
        "fear_interview",
        "Schedule the fear interview, at least 72 hours ahead",
        "Schedule the fear interview, with at least 72 hours' notice to the person and counsel.",
        body=FearInterviewIn,
        form=(FormField("at"), FormField("case_id")),
        cli=(
            CliParam(
                "at",
                "--at",
                "When (UTC), at least 72 hours from now.",
                formats=("%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M"),
            ),
            CLAIMANT,
        ),
        acts_as="fear_negative",  # who decides a claim sets its interview
    ),
    Move(
        "fear_outcome",
        "Record a fear claim's outcome after its interview",
        "Record the fear claim's outcome after the interview: positive blocks this receiver for"
        " good and releases the place; negative opens a 15-day reopening window once no other"
        " member's claim is pending.",
        ("fear_positive", "fear_negative", "fear_negative_others_pending"),
        FearOutcomeIn,
        (FormField("outcome"), FormField("case_id")),
        (CliParam("outcome", None, "The interview's outcome."), CLAIMANT),
    ),
    Move(
        "clear",
        "A supervisor's sign-off for this one family (S10, S14)",
        "A supervisor's individual sign-off for ONE family (S14: no bulk clearance), after the"
        " notice period (S6), with medical fitness confirmed (S10).\n\nThe signed-in account"
        " must be a supervisor of the sender.",
        ("clear",),
        ClearIn,
        (FormField("medical_fit_confirmed", kind="checked"),),
        (
            CliParam(
                "medical_fit_confirmed",
                "--medical-fit-confirmed",
                "The supervisor confirms fitness to travel (S10).",
            ),
        ),
        one_family="clearance is one supervisor's sign-off for one family at a time"
        " (S14: no bulk clearance)",
    ),
    Move(
        "schedule",
        "Schedule the transfer",
        "Schedule the transfer of a cleared family.",
        ("schedule",),
        ScheduleIn,
        (FormField("on"),),
        (CliParam("on", "--on", "Transfer day.", formats=("%Y-%m-%d",)),),
    ),
    Move(
        "transfer",
        "Record the transfer: the receiver confirms arrival (consumes the reservation)",
        "The receiver confirms the family arrived: the place is used, check-ins fall due at"
        " 30/90/180 days.",
        ("transfer",),
    ),
    Move(
        "onward",
        "Record the onward outcome after transfer",
        "The receiver records the onward outcome after transfer.",
        tuple(f"onward_{outcome}" for outcome in get_args(OnwardOutcome)),
        OnwardIn,
        (FormField("outcome"), FormField("detail")),
        (
            CliParam("outcome", None, "What became of the family."),
            CliParam("detail", "--detail", "e.g. the status under which the family remained."),
        ),
    ),
    Move(
        "check_in",
        "Record a monitoring check-in (30, 90 or 180 days after transfer)",
        "Record a monitoring check-in, on or after the day it falls due, saying who may read"
        " its note.",
        body=CheckInIn,
        form=(
            FormField("days", kind="number"),
            FormField("note", default=""),
            FormField("audience"),
        ),
        cli=(
            CliParam("days", None, "30, 90 or 180.", "DAYS"),
            CliParam("note", "--note", "What the check-in found."),
            CliParam("audience", "--audience"),
        ),
        others=WATCHERS,
    ),
    Move(
        "close",
        "Close an item once its 30, 90 and 180-day check-ins are recorded",
        "Close the item once the onward outcome and every check-in are recorded.",
        ("close",),
    ),
)
"""Every move on an item, in the order of the workflow."""

BY_NAME: MappingProxyType[str, Move] = MappingProxyType({m.name: m for m in MOVES})

OF_ACTION: MappingProxyType[str, Move] = MappingProxyType(
    {action: move for move in MOVES for action in move.actions}
)
"""The move that makes each row of the workflow table (`propose` is a pool's, not an item's)."""
