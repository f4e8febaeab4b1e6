"""Every template is rendered by a request here, and each htmx request answers with its
fragment alone. A template added without a request that renders it fails the test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from accord.db import unit_of_work
from accord.models import MatcherJob
from accord.web.pages import HERE, templates
from tests.exchange.test_pages import receiving
from tests.web.pages_support import signed_in
from tests.web.support import World


@pytest.fixture
def rendered() -> Iterator[set[str]]:
    """The names of the templates loaded while the test runs (pages, includes, imports)."""
    names: set[str] = set()
    env = templates.env
    original = env.get_template

    def recording(name: Any, *args: Any, **kwargs: Any) -> Any:
        names.add(str(getattr(name, "name", name)))
        return original(name, *args, **kwargs)

    env.get_template = recording  # type: ignore[method-assign]
    try:
        yield names
    finally:
        env.get_template = original  # type: ignore[method-assign]


def running_job(world: World) -> int:
    """A matcher job of olga's, its worker half-way: two points of its curve."""
    now = world.clock.now()
    with unit_of_work(world.store.sessions) as session:
        job = MatcherJob(
            kind="preview",
            params={"agreement_ids": ["demo-xk-year"]},
            requested_by="olga",
            requested_role="officer",
            requested_party="US",
            state="running",
            progress=[
                {"t": 0.1, "best": 10.0, "bound": 14.0, "gap": 0.2857},
                {"t": 0.9, "best": 12.5, "bound": 13.0, "gap": 0.0385},
            ],
            created_at=now,
            started_at=now,
            heartbeat_at=now,
            worker="test:1",
        )
        session.add(job)
        session.flush()
        return job.id


def test_every_template_is_rendered(world: World, rendered: set[str], tmp_path: Path) -> None:
    olga, sam, rita = (signed_in(world, user) for user in ("olga", "sam", "rita"))
    pool, a3 = world.pool, world.items["F-A3"]
    job = running_job(world)
    assert olga.post("/reports/publish", {"period": "2025-Q4"}).status_code == 303  # ended
    full_pages = [
        olga.get("/login"),
        olga.get("/"),
        olga.get("/agreements/demo-xk-year"),
        olga.get("/pools/new?agreement=demo-xk-year"),
        olga.get("/review"),
        rita.get(f"/pools/{pool}"),
        olga.get(f"/items/{a3}"),
        olga.get("/people"),
        olga.get("/people/A1"),
        olga.get("/monitoring"),
        olga.get("/reports"),
        olga.get("/reports/1"),
        sam.get("/audit"),
        sam.get("/audit/verify"),
        olga.get(f"/pools/new/jobs/{job}"),  # builder_job.html: a running job as a whole page
        olga.get("/no-such-page"),  # error.html
    ]
    assert [p.status_code for p in full_pages[:-1]] == [200] * (len(full_pages) - 1)
    assert full_pages[-1].status_code == 404
    fragments = {
        "_what_if.html": olga.htmx(
            "/agreements/demo-xk-year/what-if", {"criterion_id": "public-order", "expr": "true"}
        ),
        "_builder_preview.html": olga.htmx("/pools/new/preview", {"agreement_id": "demo-xk-year"}),
        "_review_row.html": rita.htmx(f"/items/{a3}/accept", {"pool_id": pool}),
        "_error.html": rita.htmx(
            "/agreements/demo-xk-year/what-if", {"criterion_id": "x", "expr": "1"}
        ),
        "_people_rows.html": olga.client.get("/people?q=A", headers={"HX-Request": "true"}),
        "_audit_rows.html": sam.client.get("/audit", headers={"HX-Request": "true"}),
        "_audit_verify.html": sam.client.get("/audit/verify", headers={"HX-Request": "true"}),
        "_builder_job.html": olga.client.get(
            f"/pools/new/jobs/{job}", headers={"HX-Request": "true"}
        ),
    }
    assert "12.500" in fragments["_builder_job.html"].text  # the best plan so far
    assert "<polyline" in fragments["_builder_job.html"].text  # and the curve (_job_curve.html)
    for name, answer in fragments.items():
        assert "<html" not in answer.text, f"{name}: an htmx answer is a fragment"
        assert answer.text.strip(), name
    with receiving(world, tmp_path) as (reviewer, received_id):  # a receiving deployment's
        received = [reviewer.get("/received"), reviewer.get(f"/received/{received_id}")]
    assert [p.status_code for p in received] == [200, 200]
    on_disk = {p.name for p in (HERE / "templates").glob("*.html")}
    assert on_disk - rendered == set(), "templates no request renders"
