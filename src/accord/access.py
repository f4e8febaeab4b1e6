"""Who may do what, decided in one place (DESIGN §1): every route names a rule here, and every
read of the workflow asks `may_read` here.

A refusal by role is "not allowed" (403): the role may never use the route. A refusal by party
is "not found" (404), worded as for something that does not exist: an id must not tell whose
it is, so another state's pool is not there rather than refused.

Every decision by role is made here, and named (`may_use`, `sees_claims`, `is_receiver`,
`signs_off`, …): the services, pages, templates and commands ask these, never compare a role
themselves. The rules of the moves on an item are those the moves declare
(`accord.workflow.moves`), which read them from the workflow table.

A user belongs to one party and has one role. The sender's officers and supervisors act for the
sender's agreements; a receiver's reviewer sees only the pools proposed to its own state,
through the minimized view (DESIGN §6); a monitor sees only the agreements that name it, as
aggregates; an admin manages users and reads the registry and the audit log.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Literal, Protocol, get_args

from accord.errors import Forbidden, NotFound
from accord.records.agreement import AgreementIn
from accord.workflow.disclosure import SEES_EVERYTHING, seen_state
from accord.workflow.moves import MOVES
from accord.workflow.transitions import RECEIVER, Role, Transition
from accord.workflow.transitions import SENDER as TABLE_SENDER


@dataclass(frozen=True, slots=True)
class Actor:
    """Who acts: a named user with one role, of one party (a reviewer's is the receiver)."""

    name: str
    role: Role
    party: str | None = None


ROLES: tuple[Role, ...] = get_args(Role)
SEES_CLAIMS: frozenset[Role] = SEES_EVERYTHING
"""Roles that see notices, fear claims, interviews and the grounds of a cancellation; every
other role sees the workflow through `accord.workflow.disclosure`."""

Scope = Literal["read", "write"]
"""What an API token may do: `read` (GET) or `write` (every other method). A browser session
carries both."""


class Acting(Protocol):
    """Anything with a name, a role and a party: the workflow's Actor, a signed-in user."""

    @property
    def name(self) -> str: ...
    @property
    def role(self) -> Role: ...
    @property
    def party(self) -> str | None: ...


@dataclass(frozen=True, slots=True)
class Rule:
    roles: frozenset[Role]
    scope: Scope
    """The token scope the route needs."""


def _rule(scope: Scope, *roles: Role) -> Rule:
    return Rule(frozenset(roles), scope)


SENDER: tuple[Role, ...] = tuple(role for role in ROLES if role in TABLE_SENDER)
EVERYONE: tuple[Role, ...] = ROLES

RULES: MappingProxyType[str, Rule] = MappingProxyType(
    {
        # the signed-in user
        "session.me": _rule("read", *EVERYONE),
        "session.logout": _rule("read", *EVERYONE),
        # accounts
        "users.list": _rule("read", "admin"),
        "users.add": _rule("write", "admin"),
        "users.deactivate": _rule("write", "admin"),
        "tokens.list": _rule("read", "admin"),
        "tokens.issue": _rule("write", "admin"),
        "tokens.revoke": _rule("write", "admin"),
        # the registry
        "agreements.list": _rule("read", *EVERYONE),
        "agreements.get": _rule("read", *EVERYONE),
        "agreements.aggregates": _rule("read", "officer", "supervisor", "reviewer", "monitor"),
        "agreements.ledger": _rule("read", "officer", "supervisor", "reviewer"),
        "agreements.status": _rule("write", "supervisor"),
        "agreements.load": _rule("write", "supervisor"),
        # people: the sender's case files, every read access-logged
        "people.list": _rule("read", *SENDER),
        "people.get": _rule("read", *SENDER),
        "people.import": _rule("write", *SENDER),
        "people.screening": _rule("read", *SENDER),
        "people.case_change": _rule("write", *SENDER),
        "people.lift": _rule("write", "supervisor"),
        "people.assess": _rule("write", "supervisor"),
        "people.subject_export": _rule("read", "supervisor"),
        "people.erase": _rule("write", "supervisor"),
        "screening.summary": _rule("read", *SENDER),
        # notice templates: the sender's, approved by a supervisor
        "templates.list": _rule("read", *SENDER),
        "templates.load": _rule("write", "supervisor"),
        "templates.approve": _rule("write", "supervisor"),
        # pools and items
        "pools.list": _rule("read", "officer", "supervisor", "reviewer"),
        "pools.get": _rule("read", "officer", "supervisor", "reviewer"),
        "pools.propose": _rule("write", *SENDER),
        "pools.preview": _rule("write", *SENDER),
        "pools.job": _rule("read", *SENDER),
        "pools.decide": _rule("write", "reviewer"),
        "items.get": _rule("read", "officer", "supervisor", "reviewer"),
        "items.notice_document": _rule("read", *SENDER),
        "pools.dossier": _rule("read", "officer", "supervisor", "reviewer"),
        # every move on an item, as its declaration says who may make it
        **{move.rule: Rule(move.roles, "write") for move in MOVES},
        # monitoring
        "incidents.report": _rule("write", "officer", "supervisor", "reviewer", "monitor"),
        "incidents.lift": _rule("write", "supervisor"),
        "incidents.list": _rule("read", "officer", "supervisor", "reviewer", "monitor"),
        "checkins.list": _rule("read", "officer", "supervisor", "reviewer", "monitor"),
        # payments against an agreement
        "payments.record": _rule("write", "supervisor"),
        "payments.list": _rule("read", "officer", "supervisor", "monitor"),
        # the transparency report: the sender publishes, monitors read it
        "reports.publish": _rule("write", "officer", "supervisor"),
        "reports.read": _rule("read", "officer", "supervisor", "monitor"),
        "reports.explain": _rule("read", "officer", "supervisor"),
        # the audit log
        "audit.list": _rule("read", "supervisor", "admin"),
        "audit.verify": _rule("read", "supervisor", "admin"),
        # the exchange: what peers proposed to this deployment's party, reviewed by its own
        # reviewers (`accord.exchange.receiver` also checks the party), and the channels
        "received.list": _rule("read", "reviewer"),
        "received.get": _rule("read", "reviewer"),
        "received.decide": _rule("write", "reviewer"),
        "received.arrive": _rule("write", "reviewer"),
        "received.onward": _rule("write", "reviewer"),
        "received.check_in": _rule("write", "reviewer"),
        "received.incident": _rule("write", "reviewer"),
        "exchange.messages": _rule("read", "supervisor", "admin"),
        # the exchange's commands: the peers and their keys, and running the channels
        "peers.list": _rule("read", "admin", "supervisor"),
        "peers.manage": _rule("write", "admin"),
        "exchange.run": _rule("write", "admin", "supervisor"),
    }
)
"""Every authenticated route's rule, by route name. A route without one is refused (and a
test fails). Each command line command that reads or writes the store stands on one of these
too (`accord.cli_support.signed_in`); a few exist for commands alone (loading agreements,
deactivating users, listing tokens)."""

PAGES: MappingProxyType[str, str] = MappingProxyType(
    {
        "pages.logout": "session.logout",
        "pages.dashboard": "agreements.list",
        "pages.agreement": "agreements.get",
        "pages.what_if": "screening.summary",
        "pages.people": "people.list",
        "pages.person": "people.get",
        "pages.builder": "pools.preview",
        "pages.builder_preview": "pools.preview",
        "pages.builder_send": "pools.propose",
        "pages.builder_job": "pools.job",
        "pages.review": "pools.list",
        "pages.pool": "pools.get",
        "pages.pool_decide": "pools.decide",
        "pages.pool_dossier": "pools.dossier",
        "pages.item": "items.get",
        "pages.notice_document": "items.notice_document",
        **{move.page: move.rule for move in MOVES},
        "pages.received.list": "received.list",
        "pages.received.get": "received.get",
        "pages.received.decide": "received.decide",
        "pages.received.arrive": "received.arrive",
        "pages.received.onward": "received.onward",
        "pages.received.check_in": "received.check_in",
        "pages.received.incident": "received.incident",
        "pages.monitoring": "checkins.list",
        "pages.incident_report": "incidents.report",
        "pages.incident_lift": "incidents.lift",
        "pages.reports": "reports.read",
        "pages.reports_publish": "reports.publish",
        "pages.report": "reports.read",
        "pages.report_file": "reports.read",
        "pages.audit": "audit.list",
        "pages.audit_verify": "audit.verify",
    }
)
"""Every web page's route, by name, and the API rule it stands on: a page allows exactly whom
its API route allows."""

PUBLIC_PAGES = frozenset({"pages.login_form", "pages.login", "static"})
"""Pages anyone may open: the sign-in form, and the static files."""

PUBLIC_ROUTES = frozenset(
    {"session.login", "health", "healthz", "readyz", "metrics", "exchange.inbox"}
)
"""Routes anyone may call: signing in, and the probes (`accord.web.probes`). And `/metrics`,
which no sign-in guards either: it answers only the networks of ACCORD_METRICS_ALLOW
(`accord.web.metrics`), and is a path that does not exist to anyone else. And the exchange's
inbox, where a peer's own signature on each message stands for a sign-in."""


def check(rule_name: str, role: Role, scopes: Iterable[str]) -> None:
    """Refuse a route the role or the token's scopes do not allow."""
    rule = RULES.get(rule_name)
    if rule is None:
        raise Forbidden(f"no access rule for {rule_name}: refused")
    if role not in rule.roles:
        raise Forbidden(f"{'an' if role[0] in 'aeiou' else 'a'} {role} may not use {rule_name}")
    if rule.scope not in set(scopes):
        raise Forbidden(f"{rule_name} needs a token with the {rule.scope!r} scope")


# --- Who is who: the role decisions every other module asks here ------------------------------


def may_use(role: str | None, rule_name: str) -> bool:
    """Whether the role may use a route, or make the act it stands for: what a page offers it
    (a link, a form), and what a service lets it do (a stored role, or none)."""
    rule = RULES.get(rule_name)
    return rule is not None and role in rule.roles


def may_make(role: Role, row: Transition) -> bool:
    """Whether the role may make a row of the workflow table (the table names who may)."""
    return role in row.roles


def may_open(role: Role) -> frozenset[str]:
    """The pages the role may open, by route name: what its navigation shows."""
    return frozenset(page for page, rule in PAGES.items() if may_use(role, rule))


def sees_claims(role: Role) -> bool:
    """The sender's officers and supervisors: they read everything of the sender's agreements
    (notices, fear claims, interviews, the matcher's scores, the sender's reasons); every other
    role reads the workflow through `accord.workflow.disclosure`."""
    return role in SEES_CLAIMS


def is_receiver(role: Role) -> bool:
    """A receiving state's reviewer: it reviews the pools proposed to its own state."""
    return role in RECEIVER


def needs_party(role: str) -> bool:
    """A role that means nothing without a party: a reviewer reviews for one receiving state,
    a monitor watches the agreements that name it."""
    return role in RECEIVER or role in MONITORS


def reads_aggregates_only(role: Role) -> bool:
    """A monitor: of an agreement's workflow it reads aggregates (and the monitoring), never
    a pool, an item or the ledger."""
    return role in MONITORS


def reads_workflow(role: Role) -> bool:
    """Every role but the admin: each reads the workflow of the agreements in scope of it."""
    return role in READS_WORKFLOW


def signs_off(role: Role) -> bool:
    """Whether the role's clearance is the individual sign-off S14 asks for (a supervisor's)."""
    return may_use(role, "items.clear")


def assesses(role: str | None) -> bool:
    """Whether the role records an individual assessment (S8), and so may import a file that
    brings a new one: it answers for it (a supervisor)."""
    return may_use(role, "people.assess")


def changes_status(role: str | None) -> bool:
    """Whether the role changes an agreement's status, with a reason (a supervisor)."""
    return may_use(role, "agreements.status")


def lifts_suspensions(role: Role) -> bool:
    """Whether the role lifts a suspension, with a reason (a supervisor of the sender)."""
    return may_use(role, "incidents.lift")


def reports_incidents(role: Role) -> bool:
    """Whether the role reports an incident or a finding under an agreement in scope of it."""
    return may_use(role, "incidents.report")


def records_check_ins(role: Role) -> bool:
    """Whether the role records a monitoring check-in on a transferred item in scope of it."""
    return may_use(role, "items.check_in")


def party_refusal(actor: Acting, agreement: Parties) -> str | None:
    """Why an actor whose role may act does not act for this agreement's party, in the words a
    refusal gives (None when it does): a reviewer reviews for its own state, the sender's staff
    act for the sender, a monitor for the agreements that name it."""
    if in_scope(actor.role, actor.party, agreement):
        return None
    if is_receiver(actor.role):
        return f"{actor.name} reviews for {actor.party or 'no party'}, not for {agreement.receiver}"
    if sees_claims(actor.role):
        return f"{actor.name} acts for {actor.party}, not for {agreement.sender}"
    return (
        f"{actor.name} ({actor.role} of {actor.party or 'no party'}) does not act for"
        f" agreement {agreement.id}"
    )


def shown_state(state: str, role: Role) -> str:
    """A state as the role may see it (DESIGN §6): the real one for the sender's staff, the
    seen one (`accord.workflow.disclosure`) for everyone else."""
    return seen_state(state, role)


def acts_for_sender(role: Role, party: str | None, agreement: AgreementIn) -> bool:
    return role in SEES_CLAIMS and party in (None, agreement.sender)


class Parties(Protocol):
    """Who an agreement binds, which is all a read's scoping needs to know of it."""

    @property
    def id(self) -> str: ...
    @property
    def sender(self) -> str: ...
    @property
    def receiver(self) -> str: ...
    @property
    def monitors(self) -> Sequence[str]: ...


READS_WORKFLOW: frozenset[Role] = frozenset(ROLES) - {"admin"}
"""Roles that read an agreement's pools, items, ledger and monitoring, each for its party."""
MONITORS: frozenset[Role] = frozenset({"monitor"})
"""Roles that watch the agreements naming their party, as aggregates and monitoring."""


def in_scope(role: Role, party: str | None, agreement: Parties) -> bool:
    """Whether an agreement's workflow is the party's to read: its sender's staff (a user with
    no party acts for any sender), its receiver's reviewers, the monitors it names."""
    if role in SEES_CLAIMS:
        return party in (None, agreement.sender)
    if role in RECEIVER:
        return party == agreement.receiver
    if role in MONITORS:
        return party in agreement.monitors
    return False


def may_see(role: Role, party: str | None, agreement: AgreementIn) -> bool:
    """Whether an agreement is visible at all: to the parties in scope of it; an admin reads
    the registry."""
    return role == "admin" or in_scope(role, party, agreement)


def may_read(actor: Acting, agreement: Parties, missing: str) -> None:
    """Refuse a read of an agreement's workflow: by role, as not allowed; by party, as not
    found, with `missing`, the very detail its caller gives when the thing does not exist."""
    if actor.role not in READS_WORKFLOW:
        raise Forbidden(f"{actor.name} ({actor.role}) may not read proposals")
    if not in_scope(actor.role, actor.party, agreement):
        raise NotFound(missing)
