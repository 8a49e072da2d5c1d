"""Settings: the only module that reads the environment.

Every field is read from an environment variable (names below) or a `.env` file in the
working directory; front ends build `Settings()` once and pass values down explicitly.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from gex_mcp.engine.prepare import DEFAULT_DEALER_MODEL, DEFAULT_DIVIDEND_YIELD, DEFAULT_RATE
from gex_mcp.models import DealerModel, SourceName

DEFAULT_DATA_DIR = Path.home() / ".gex-mcp"


class Settings(BaseSettings):
    """gex-mcp configuration (environment variable in brackets)."""

    # An empty variable means unset (its default), never Path("") = the working directory.
    model_config = SettingsConfigDict(env_prefix="GEX_", env_file=".env", extra="ignore",
                                      env_ignore_empty=True)

    source: SourceName = Field("cboe", description="Data source [GEX_SOURCE]: cboe, flashalpha, file or demo.")
    flashalpha_api_key: SecretStr | None = Field(
        None,
        validation_alias=AliasChoices("FLASHALPHA_API_KEY", "GEX_FLASHALPHA_API_KEY"),
        description="FlashAlpha API key [FLASHALPHA_API_KEY]; needed only for source flashalpha.",
    )
    data_dir: Path = Field(DEFAULT_DATA_DIR, description="Cache and history folder [GEX_DATA_DIR].")
    chains_dir: Path | None = Field(None, description="Folder of snapshot files for source file [GEX_CHAINS_DIR].")
    file_as_of: datetime | None = Field(
        None, description="Replay: the file source serves the newest snapshot at or before this "
                          "time (ISO-8601; no offset means New York time) [GEX_FILE_AS_OF].")
    cboe_base_url: str = Field("https://cdn.cboe.com", description="CBOE base URL [GEX_CBOE_BASE_URL].")
    flashalpha_base_url: str = Field(
        "https://lab.flashalpha.com", description="FlashAlpha base URL [GEX_FLASHALPHA_BASE_URL].")
    cache_ttl: float = Field(60.0, ge=0, description="Seconds a fetched chain stays fresh while the "
                                                      "market is open [GEX_CACHE_TTL].")
    cache_ttl_closed: float = Field(
        1800.0, ge=0, description="Seconds a fetched chain stays fresh while the market is closed "
                                  "(nights, weekends, holidays) [GEX_CACHE_TTL_CLOSED].")
    rate: float = Field(DEFAULT_RATE, ge=-0.05, le=0.5, description="Risk-free rate, decimal [GEX_RATE].")
    dividend_yield: float = Field(DEFAULT_DIVIDEND_YIELD, ge=0, le=0.5, description="Dividend yield, decimal [GEX_DIVIDEND_YIELD].")
    dealer_model: DealerModel = Field(
        DEFAULT_DEALER_MODEL, description="Dealer positioning model [GEX_DEALER_MODEL].")
    http_timeout: float = Field(10.0, gt=0, description="Upstream timeout, seconds [GEX_HTTP_TIMEOUT].")
    max_response_mb: float = Field(
        32.0, gt=0, le=1024, description="Largest upstream answer read, MB of decoded JSON "
                                         "[GEX_MAX_RESPONSE_MB].")
    http_retries: int = Field(2, ge=0, le=10, description="Retries on timeouts and 5xx [GEX_HTTP_RETRIES].")
    flashalpha_daily_budget: int = Field(
        5, ge=0, description="FlashAlpha requests allowed per UTC day [GEX_FLASHALPHA_DAILY_BUDGET].")
    http_token: SecretStr | None = Field(
        None, description="API keys for `serve --transport http|rest`, comma-separated, one per "
                          "client; sent as X-Api-Key or a bearer token [GEX_HTTP_TOKEN].")
    rate_limit_per_minute: int = Field(
        600, ge=0, description="REST requests per minute per key, 0 for no limit "
                               "[GEX_RATE_LIMIT_PER_MINUTE].")
    allowed_hosts: str = Field(
        "", description="Extra Host names (and so origins) the HTTP server answers for, e.g. a "
                        "public DNS name, comma-separated [GEX_ALLOWED_HOSTS].")
    http_max_connections: int = Field(
        512, ge=1, description="Open HTTP connections and requests served at once; beyond, 503 "
                               "[GEX_HTTP_MAX_CONNECTIONS].")
    session_idle_seconds: float = Field(
        600.0, gt=0, description="An MCP-over-HTTP session idle this long is closed, seconds "
                                 "[GEX_SESSION_IDLE_SECONDS].")
    max_sessions_per_key: int = Field(
        32, ge=1, description="Live MCP-over-HTTP sessions per key (per address without keys); "
        "the least recently used idle one is closed to open another [GEX_MAX_SESSIONS_PER_KEY].")
    max_sessions: int = Field(
        512, ge=1, description="Live MCP-over-HTTP sessions in all [GEX_MAX_SESSIONS].")
    cors_origins: str = Field(
        "", description="Browser origins allowed to call the REST API, comma-separated "
                        "[GEX_CORS_ORIGINS].")
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        "INFO", description="Server log level; logs go to stderr [GEX_LOG_LEVEL].")
    access_log: bool = Field(
        True, description="One access line per HTTP request (INFO; key-like query parameters "
        "redacted) [GEX_ACCESS_LOG].")
    debug: bool = Field(False, description="Show tracebacks of internal errors in the CLI [GEX_DEBUG].")
    history_days: int = Field(
        30, ge=1, description="Days of snapshot history kept; older ones are pruned [GEX_HISTORY_DAYS].")
    cboe_daily_budget: int = Field(
        5000, ge=0, description="CBOE requests allowed per UTC day [GEX_CBOE_DAILY_BUDGET].")

    redis_url: SecretStr | None = Field(
        None, description="Redis shared by several servers (cache, single-flight, budgets, rate "
                          "limits), e.g. redis://127.0.0.1:6379/0; unset keeps all in this "
                          "process [GEX_REDIS_URL].")
    database_url: SecretStr | None = Field(
        None, description="PostgreSQL shared by several servers (OI snapshots, level records), "
                          "e.g. postgresql://user:pw@host:5432/gex; unset keeps them in "
                          "GEX_DATA_DIR [GEX_DATABASE_URL].")

    watch_every: float | None = Field(
        None, ge=0.05, description="Seconds between the alert poller's polls of the watchlist; "
                                   "unset follows the cache lifetime [GEX_WATCH_EVERY].")
    toolsets: str = Field(
        "core,alerts", description="MCP toolsets whose tools tools/list shows, comma-separated: "
                                   "core, exposures, expiries, scenarios, history, alerts, or all; "
                                   "the others stay reachable through more_tools [GEX_TOOLSETS].")
    watch_near_wall_pct: float = Field(
        0.5, gt=0, le=20, description="The near_wall alert fires when spot comes within this "
                                      "percent of the call or put wall [GEX_WATCH_NEAR_WALL_PCT].")

    @field_validator("data_dir", mode="before")
    @classmethod
    def _default_when_empty(cls, value: object) -> object:
        # GEX_DATA_DIR="" would be Path(""), the working directory: use the default instead
        return DEFAULT_DATA_DIR if isinstance(value, str) and not value.strip() else value

    @field_validator("file_as_of")
    @classmethod
    def _new_york_when_naive(cls, value: datetime | None) -> datetime | None:
        from gex_mcp.engine.calendar import FIRST_DAY, LAST_DAY, SUPPORTED_RANGE
        if value is not None and not FIRST_DAY <= value.date() <= LAST_DAY:
            raise ValueError(f"outside the supported dates, {SUPPORTED_RANGE}")
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=ZoneInfo("America/New_York"))
        return value
