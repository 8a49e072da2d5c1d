"""RequestBudget: per-UTC-day counts that refuse before upstream, survive restarts."""

from __future__ import annotations

from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path

import pytest

from gex_mcp.errors import RateLimitedError
from gex_mcp.store.budget import BudgetStatus, RequestBudget
from gex_mcp.store.migrations import open_database

MIDNIGHT = datetime(2026, 11, 26, tzinfo=UTC).timestamp()  # the fake clock starts 14 h before


def spent_message(source: str, used: int, limit: int, setting: str | None = None) -> str:
    """The budget's refusal, word for word (its reset is the fake clock's next UTC midnight)."""
    setting = setting or f"GEX_{source.upper()}_DAILY_BUDGET"
    return (f"Daily request budget for {source} is spent ({used} of {limit} used today, UTC). "
            "It resets at 2026-11-26T00:00:00+00:00; cached answers are still served. "
            f"Raise {setting} if your plan allows more.")


UPSTREAM_SPENT = ("The flashalpha rate limit is used up (upstream reports 0 requests remaining). "
                  "It resets at 2026-11-26T00:00:00+00:00; cached answers are still served.")


def spend(budget: RequestBudget, times: int) -> None:
    for _ in range(times):
        budget.check_and_spend()


def test_sixth_call_of_a_five_a_day_budget_is_refused(memory_db, clock) -> None:
    """Five requests pass; the sixth is refused, saying when it resets and what to do."""
    budget = RequestBudget(memory_db, "flashalpha", 5, clock=clock)
    spend(budget, 5)
    with pytest.raises(RateLimitedError) as raised:
        budget.check_and_spend()
    assert raised.value.exit_code == 3
    assert raised.value.retry_after_seconds == 14 * 3600
    assert str(raised.value) == (
        "Daily request budget for flashalpha is spent (5 of 5 used today, UTC). It resets at "
        "2026-11-26T00:00:00+00:00; cached answers are still served. Raise "
        "GEX_FLASHALPHA_DAILY_BUDGET if your plan allows more.")


def test_refused_calls_are_not_counted(memory_db, clock) -> None:
    """Refusals do not add to today's count."""
    budget = RequestBudget(memory_db, "cboe", 2, clock=clock)
    spend(budget, 2)
    for _ in range(3):
        with pytest.raises(RateLimitedError):
            budget.check_and_spend()
    assert budget.status().used_today == 2


def test_a_new_utc_day_resets_the_count(memory_db, clock) -> None:
    """At 00:00 UTC the allowance is whole again; one second earlier it is not."""
    budget = RequestBudget(memory_db, "flashalpha", 5, clock=clock)
    spend(budget, 5)
    clock.now = MIDNIGHT - 1
    with pytest.raises(RateLimitedError):
        budget.check_and_spend()
    clock.now = MIDNIGHT
    spend(budget, 5)
    assert budget.status().used_today == 5


def test_count_survives_a_restart(db_path: Path, clock) -> None:
    """A new connection to the same file sees the requests already spent today."""
    with closing(open_database(db_path)) as conn:
        spend(RequestBudget(conn, "flashalpha", 5, clock=clock), 4)
    with closing(open_database(db_path)) as conn:
        budget = RequestBudget(conn, "flashalpha", 5, clock=clock)
        budget.check_and_spend()
        with pytest.raises(RateLimitedError) as raised:
            budget.check_and_spend()
        assert str(raised.value) == spent_message("flashalpha", 5, 5)


def test_sources_have_separate_budgets(memory_db, clock) -> None:
    """Spending flashalpha's budget leaves cboe's untouched."""
    spend(RequestBudget(memory_db, "flashalpha", 1, clock=clock), 1)
    spend(RequestBudget(memory_db, "cboe", 1, clock=clock), 1)


def test_zero_budget_refuses_every_request(memory_db, clock) -> None:
    """daily_limit=0 means never call upstream."""
    with pytest.raises(RateLimitedError) as raised:
        RequestBudget(memory_db, "flashalpha", 0, clock=clock).check_and_spend()
    assert str(raised.value) == spent_message("flashalpha", 0, 0)


def test_negative_budget_is_a_value_error(memory_db) -> None:
    with pytest.raises(ValueError, match="daily_limit"):
        RequestBudget(memory_db, "flashalpha", -1)


def test_upstream_reporting_nothing_left_refuses_until_its_reset(memory_db, clock) -> None:
    """remaining=0 from upstream blocks requests, even with local budget left, until reset."""
    budget = RequestBudget(memory_db, "flashalpha", 100, clock=clock)
    budget.record_upstream_limits(remaining=0, reset_epoch=clock.now + 90.5)
    with pytest.raises(RateLimitedError) as raised:
        budget.check_and_spend()
    assert raised.value.retry_after_seconds == 90.5
    assert str(raised.value) == (
        "The flashalpha rate limit is used up (upstream reports 0 requests remaining). It resets "
        "at 2026-11-25T10:01:31+00:00; cached answers are still served.")
    clock.advance(90.5)
    budget.check_and_spend()
    assert budget.status().used_today == 1


def test_upstream_remaining_counts_down_with_each_spend(memory_db, clock) -> None:
    """After upstream says 2 left, two requests pass and the third is refused locally."""
    budget = RequestBudget(memory_db, "flashalpha", 100, clock=clock)
    budget.record_upstream_limits(remaining=2, reset_epoch=MIDNIGHT)
    spend(budget, 2)
    with pytest.raises(RateLimitedError) as raised:
        budget.check_and_spend()
    assert str(raised.value) == UPSTREAM_SPENT


def test_upstream_limit_without_reset_time_lapses_at_utc_midnight(memory_db, clock) -> None:
    """remaining=0 with no reset time is taken to last until the next 00:00 UTC."""
    budget = RequestBudget(memory_db, "flashalpha", 100, clock=clock)
    budget.record_upstream_limits(remaining=0, reset_epoch=None)
    with pytest.raises(RateLimitedError) as raised:
        budget.check_and_spend()
    assert raised.value.retry_after_seconds == 14 * 3600
    clock.now = MIDNIGHT
    budget.check_and_spend()


def test_upstream_limits_survive_a_restart(db_path: Path, clock) -> None:
    """A 429 recorded before a restart still blocks requests after it."""
    with closing(open_database(db_path)) as conn:
        RequestBudget(conn, "flashalpha", 5, clock=clock).record_upstream_limits(0, MIDNIGHT)
    with closing(open_database(db_path)) as conn, pytest.raises(RateLimitedError) as raised:
        RequestBudget(conn, "flashalpha", 5, clock=clock).check_and_spend()
    assert str(raised.value) == UPSTREAM_SPENT


def test_recording_no_information_changes_nothing(memory_db, clock) -> None:
    """Responses without rate-limit headers leave the budget as it was."""
    budget = RequestBudget(memory_db, "flashalpha", 5, clock=clock)
    budget.record_upstream_limits(None, None)
    assert budget.status().upstream_remaining is None


def test_status_reports_today_and_upstream(memory_db, clock) -> None:
    """status() shows the count, the limit, both reset times, and spends nothing."""
    budget = RequestBudget(memory_db, "flashalpha", 5, clock=clock)
    spend(budget, 2)
    budget.record_upstream_limits(remaining=40, reset_epoch=MIDNIGHT)
    status = budget.status()
    assert status == BudgetStatus(
        source="flashalpha", used_today=2, daily_limit=5,
        resets_at=datetime(2026, 11, 26, tzinfo=UTC), upstream_remaining=40,
        upstream_resets_at=datetime(2026, 11, 26, tzinfo=UTC))
    assert status.remaining_today == 3
    assert budget.status().used_today == 2


def test_setting_name_can_be_overridden(memory_db, clock) -> None:
    """Sources whose limit comes from another variable name it in the message."""
    budget = RequestBudget(memory_db, "cboe", 0, clock=clock, setting_name="GEX_CBOE_LIMIT")
    with pytest.raises(RateLimitedError) as raised:
        budget.check_and_spend()
    assert str(raised.value) == spent_message("cboe", 0, 0, "GEX_CBOE_LIMIT")
