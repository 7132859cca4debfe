"""The benchmark's own logic, without load or database: the raw baseline asks the same
columns as the endpoints, placeholders number right, halves merge, and the targets table
shows the baselines' checks."""

from __future__ import annotations

from bench import baseline_app, run
from bench.back_to_back import _halves
from bench.loadgen import Result
from bench.scenarios import Section
from core.entities.schemas import UnitOut
from core.tasks.services import TASK_COLUMNS


def test_raw_lists_ask_the_columns_the_endpoints_return():
    assert baseline_app.TASK_COLUMNS == TASK_COLUMNS
    assert baseline_app.UNIT_COLUMNS == tuple(UnitOut.model_fields)


def test_placeholders_numbered_for_asyncpg():
    assert baseline_app._numbered("SELECT a FROM t WHERE b = ? AND c = ? LIMIT ?") == (
        "SELECT a FROM t WHERE b = $1 AND c = $2 LIMIT $3")
    tasks = baseline_app.LISTS["tasks"]
    assert tasks.sql.count("?") == len(tasks.values({"site_id": "1", "assignee_id": "2"}))


def test_halves_merge_into_one_result():
    merged = _halves(Result("a", 100, 50.0, 2.0, 9.0, 1), Result("a", 300, 150.0, 4.0, 7.0, 2))
    assert (merged.requests, merged.rps, merged.p50_ms, merged.p99_ms, merged.errors) == (400, 100.0, 3.0, 9.0, 3)


def test_targets_table_shows_the_baselines_checks():
    baselines, tasks = Section(), Section()
    baselines.check("framework", "units: ≥ 0.5× the raw driver", "0.62×", True)
    tasks.check("tasks", "list p50 < 20 ms", "25.0 ms", False)
    lines = run.render_targets([{"backend": "sqlite", "baselines": baselines,
                                 "sections": [("Task kernel", "", 0.0, tasks)]}])
    assert "| framework | units: ≥ 0.5× the raw driver | 0.62× ✔ |" in lines
    assert "| tasks | list p50 < 20 ms | 25.0 ms ✘ |" in lines
    assert "2 targets, 1 missed in this run." in lines


def test_a_run_keeps_the_hand_written_reliability_section(tmp_path):
    output = tmp_path / "performance.md"
    output.write_text("# Performance\n\n## Against the targets\n\nold\n\n## Reliability (soak)\n\n- 0 errors\n\n"
                      "## Task kernel\n\nold figures\n")
    assert run.kept_sections(output) == ["## Reliability (soak)", "", "- 0 errors", "", ""]
    assert run.kept_sections(tmp_path / "missing.md") == []
