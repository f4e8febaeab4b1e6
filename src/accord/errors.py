"""Domain errors. Each carries the HTTP status it renders as; one handler renders them all."""

from __future__ import annotations

from dataclasses import dataclass


class AccordError(Exception):
    status_code = 400
    title = "Request refused"

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class NotFound(AccordError):
    status_code = 404
    title = "Not found"


class Forbidden(AccordError):
    """The acting user's role or party may not do this."""

    status_code = 403
    title = "Not allowed"


class Conflict(AccordError):
    status_code = 409
    title = "Conflict with the current state"


class IllegalTransition(Conflict):
    title = "Illegal transition"


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with an input, and where: file, row or path, field."""

    place: str
    message: str

    def __str__(self) -> str:
        return f"{self.place}: {self.message}"


class InvalidInput(AccordError):
    """An input file or payload with problems; nothing was written."""

    status_code = 400
    title = "Invalid input"

    def __init__(self, source: str, problems: list[Problem]) -> None:
        self.source = source
        self.problems = problems
        count = len(problems)
        lines = "\n".join(f"  {problem}" for problem in problems[:200])
        more = f"\n  ... and {count - 200} more" if count > 200 else ""
        noun = "problem" if count == 1 else "problems"
        super().__init__(f"{source}: {count} {noun}, nothing was written\n{lines}{more}")


class MalformedInput(InvalidInput):
    """A payload that does not fit its form: a page's form read as its API body, a value past a
    bound the deployment sets. The API answers the same payload with 422, and so do its pages."""

    status_code = 422
    title = "Malformed request"
