"""All settings, in one pydantic-settings model with a section per concern.

Layers, lowest first: defaults < TOML file (`--config FILE` or `KIOSK_CONFIG`) < environment
(`KIOSK_` prefix, `__` between section and key) < command line (`--set section.key=value`).
A wrong or missing setting becomes one `SettingsError` naming the key (as in TOML and as in the
environment), which the command line prints as a paragraph and exits non-zero.
"""

from __future__ import annotations

import contextvars
import os
import tomllib
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import (
    BaseSettings,
    NestedSecretsSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from kiosk.money import Money, MoneyError, parse_amount

ENV_PREFIX = "KIOSK_"


class SettingsError(Exception):
    """A setting that is missing or wrong; the message names the key and says what to do."""


class _Section(BaseModel):
    # A misspelt key in a TOML file is an error, not silently ignored.
    model_config = ConfigDict(extra="forbid")


class StoreSettings(_Section):
    name: str = "Cash point"
    address: str = ""
    terminal_id: str = "TERM-01"


class RapydSettings(_Section):
    base_url: str = "https://sandboxpos.rapyd.net"
    access_key: SecretStr | None = None
    secret_key: SecretStr | None = None
    pos_id: str | None = None
    # Every call is bounded; a money call that hits this becomes "outcome unknown".
    timeout: float = Field(default=10.0, gt=0, le=120)
    connect_timeout: float = Field(default=3.0, gt=0, le=60)
    # Length of the customer's code window, for the countdown on screen (30 s at Rapyd).
    otp_window: int = Field(default=30, ge=1, le=300)
    # Optional certificate pinning on top of normal TLS verification (never instead of it):
    # SHA-256 of the server certificate's SubjectPublicKeyInfo (or of the whole DER
    # certificate), hex or base64; several for a key rollover.
    pin_sha256: list[str] = Field(default_factory=list)

    @field_validator("pin_sha256", mode="before")
    @classmethod
    def _parse_pins(cls, value: Any) -> list[str]:
        from kiosk.backends.pinning import normalise_pin

        if isinstance(value, str):
            value = [part for part in value.replace(";", ",").split(",") if part.strip()]
        return [normalise_pin(pin) for pin in value or []]


class PrinterSettings(_Section):
    driver: Literal["escpos", "simulated"] = "escpos"
    port: str = "/dev/kiosk-printer"
    baudrate: int = Field(default=9600, ge=1200, le=921600)
    parity: Literal["none", "even", "odd"] = "none"
    flow_control: Literal["none", "xonxoff", "rtscts", "dsrdtr"] = "dsrdtr"
    profile: str = "tm-t88v"
    # Bounded waits: a status reply, and a whole receipt (wire time is added to this).
    status_timeout: float = Field(default=1.0, gt=0, le=30)
    write_timeout: float = Field(default=10.0, gt=0, le=300)


class DrawerSettings(_Section):
    driver: Literal["printer", "serial", "simulated"] = "printer"
    # Kicked through the printer's connector:
    kick_pin: Literal[2, 5] = 2
    pulse_ms: int = Field(default=100, ge=10, le=510)
    sensor_open_level: Literal["high", "low"] = "high"
    # A standalone serial drawer:
    port: str = "/dev/kiosk-drawer"
    baudrate: int = Field(default=9600, ge=1200, le=921600)
    open_bytes: str = "07"  # hex
    sensor: Literal["query", "cts", "dsr", "ri", "cd", "none"] = "none"
    status_query: str = ""  # hex, for sensor = "query"
    open_reply: str = ""  # hex
    closed_reply: str = ""  # hex
    # How long the drawer may stay open before the kiosk alerts and blocks the next visit.
    close_timeout: float = Field(default=60.0, gt=0, le=3600)
    # The simulated drawer "closes" by itself this long after opening (demo, tests).
    simulated_close_after: float | None = Field(default=1.5, ge=0)


class TellerSettings(_Section):
    # Cash in the drawer per currency at start, e.g. { GBP = "500.00" }.
    opening_float: dict[str, Money] = Field(default_factory=dict)
    cashier: str = "cashier"
    # Headless visits wait this long for the drawer to be closed before giving up.
    drawer_close_timeout: float = Field(default=120.0, gt=0, le=3600)

    @field_validator("opening_float", mode="before")
    @classmethod
    def _parse_float(cls, value: Any) -> dict[str, Money]:
        if isinstance(value, str):  # JSON text, e.g. from a dotenv file
            import json

            value = json.loads(value)
        if not isinstance(value, dict):
            raise ValueError('must be a table of currency = "amount", e.g. { GBP = "500.00" }')
        parsed: dict[str, Money] = {}
        for currency, amount in value.items():
            if isinstance(amount, Money):
                parsed[amount.currency] = amount
                continue
            if isinstance(amount, float):
                raise ValueError(f'write the {currency} amount as text, e.g. "{amount:.2f}", not a float')
            try:
                money = parse_amount(amount, currency, allow_zero=True)
            except MoneyError as exc:
                raise ValueError(f"{currency}: {exc}") from None
            parsed[money.currency] = money
        return parsed


class AuthSettings(_Section):
    required: bool = True
    # Secret mixed into every PIN hash (16+ characters); without it the accounts file is
    # useless. From a systemd credential (KIOSK_AUTH__PEPPER) or the environment.
    pepper: SecretStr | None = None
    # Wrong PINs in a row before a user is locked out, and for how long.
    max_failures: int = Field(default=5, ge=1, le=10)
    lockout_minutes: float = Field(default=15.0, gt=0, le=24 * 60)
    # No key pressed for this long: the screen locks (the visit in flight is kept).
    idle_minutes: float = Field(default=5.0, gt=0, le=15)


class LimitsSettings(_Section):
    # Above these (per currency) a supervisor approves with their PIN, e.g. { GBP = "250.00" }.
    # They apply with auth.required (supervisors sign in); a currency not listed has no limit.
    per_visit: dict[str, Money] = Field(default_factory=dict)
    per_shift: dict[str, Money] = Field(default_factory=dict)

    @field_validator("per_visit", "per_shift", mode="before")
    @classmethod
    def _parse_limits(cls, value: Any) -> dict[str, Money]:
        return TellerSettings._parse_float(value)


class LogSettings(_Section):
    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    # Relative paths are under data_dir. Never stderr: the UI draws there.
    file: str = "kiosk.log"


class UISettings(_Section):
    # Offer the demo panel (demo wallets and their current codes); only the demo turns it on.
    demo_panel: bool = False


BackendName = Literal["rapyd", "pospointe", "sdkfinance", "flexiti"]


class BackendsSettings(_Section):
    # The back ends the cashier can choose from on the ready screen, per visit.
    enabled: list[BackendName] = Field(default_factory=lambda: ["rapyd"])

    @field_validator("enabled", mode="before")
    @classmethod
    def _parse_enabled(cls, value: Any) -> Any:
        if isinstance(value, str):  # from the environment: JSON, or names separated by commas
            text = value.strip()
            if text.startswith("["):
                import json

                return json.loads(text)
            return [part.strip() for part in text.split(",") if part.strip()]
        return value

    @field_validator("enabled")
    @classmethod
    def _unique(cls, value: list[str]) -> list[str]:
        if not value:
            raise ValueError('name at least one back end, e.g. ["rapyd"]')
        return list(dict.fromkeys(value))


class PosPointeSettings(_Section):
    """POSPointe GiftCard Server: gift cards sold, reloaded and redeemed for cash."""

    base_url: str = "https://giftcard.myposerver.com"
    user: str | None = None
    password: SecretStr | None = None
    store_id: str | None = None
    franchisee_id: str | None = None
    currency: str = "USD"
    timeout: float = Field(default=5.0, gt=0, le=120)
    connect_timeout: float = Field(default=3.0, gt=0, le=60)
    # After a lost answer, a balance that did not move is read again this much later before
    # it is trusted ("not applied"): a request that hung may still be applied late.
    settle_confirm_after: float = Field(default=2.0, ge=0, le=60)


class SdkFinanceSettings(_Section):
    """SDK.finance cloud wallet: cash top-ups and withdrawals as requests the cash point accepts."""

    base_url: str = "https://api.sdk.finance/api/v1"  # with the API path
    cash_point_login: str | None = None
    cash_point_password: SecretStr | None = None
    # The coin's field name in requests: "coinSerial" (newer platform versions) or "coin".
    coin_field: Literal["coinSerial", "coin"] = "coinSerial"
    timeout: float = Field(default=10.0, gt=0, le=120)
    connect_timeout: float = Field(default=3.0, gt=0, le=60)


class FlexitiSettings(_Section):
    """Flexiti POS API (in-store): verify the customer, then a deposit or an in-store payment."""

    base_url: str = "https://posapi.flexiti.com/flexiti/pos-api/v2.5"
    client_id: str | None = None
    client_secret: SecretStr | None = None
    location_id: str | None = None  # external_location_id registered with Flexiti
    employee_id: str | None = None
    timeout: float = Field(default=10.0, gt=0, le=120)
    connect_timeout: float = Field(default=3.0, gt=0, le=60)
    # The access token is refreshed this long before it expires.
    refresh_margin: float = Field(default=30.0, ge=0, le=600)
    # Verification formats this store offers; merchant_override always needs a supervisor.
    verify_formats: list[Literal["sms", "email", "security_question", "regular_purchase_bypass", "merchant_override"]] = (
        Field(default_factory=lambda: ["sms", "email", "security_question", "regular_purchase_bypass"])
    )


class FleetSettings(_Section):
    """Journal shipping to head office's PostgreSQL (kiosk.fleet); off while dsn is unset."""

    # libpq connection string or URI, a secret (it may hold a password): from a systemd
    # credential (KIOSK_FLEET__DSN) or the environment.
    dsn: SecretStr | None = None
    till_id: str = ""  # empty: store.terminal_id
    store_id: str = ""
    batch_size: int = Field(default=2000, ge=1, le=50_000)  # rows per shipped transaction
    push_interval: float = Field(default=30.0, ge=1, le=3600)  # background shipping, seconds
    connect_timeout: float = Field(default=5.0, gt=0, le=60)
    statement_timeout: float = Field(default=30.0, gt=0, le=600)  # per statement on the server
    after_txn_timeout: float = Field(default=5.0, gt=0, le=60)  # the push after `kiosk txn`

    @field_validator("till_id", "store_id")
    @classmethod
    def _plain_id(cls, value: str) -> str:
        if not all(c.isascii() and (c.isalnum() or c in "._-") for c in value) or len(value) > 64:
            raise ValueError("use letters, digits, '.', '_' or '-' (at most 64), e.g. T0042")
        return value


def _default_data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or os.path.join(os.path.expanduser("~"), ".local", "share")
    return Path(base) / "kiosk"


_config_file: contextvars.ContextVar[Path | None] = contextvars.ContextVar("kiosk_config_file", default=None)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_nested_delimiter="__",
        extra="forbid",
        validate_default=True,
    )

    data_dir: Path = Field(default_factory=_default_data_dir)
    store: StoreSettings = StoreSettings()
    rapyd: RapydSettings = RapydSettings()
    printer: PrinterSettings = PrinterSettings()
    drawer: DrawerSettings = DrawerSettings()
    teller: TellerSettings = TellerSettings()
    auth: AuthSettings = AuthSettings()
    limits: LimitsSettings = LimitsSettings()
    log: LogSettings = LogSettings()
    ui: UISettings = UISettings()
    backends: BackendsSettings = BackendsSettings()
    pospointe: PosPointeSettings = PosPointeSettings()
    sdkfinance: SdkFinanceSettings = SdkFinanceSettings()
    flexiti: FlexitiSettings = FlexitiSettings()
    fleet: FleetSettings = FleetSettings()

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # The first source listed wins: command line (init) > environment > TOML file.
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        credentials = os.environ.get("CREDENTIALS_DIRECTORY")
        if credentials:
            # systemd LoadCredential=: one file per secret, named like its environment
            # variable (KIOSK_RAPYD__SECRET_KEY); below the environment, above the file.
            sources.append(
                NestedSecretsSettingsSource(file_secret_settings, secrets_dir=credentials, secrets_dir_missing="ok")
            )
        path = _config_file.get()
        if path is not None:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=path))
        return tuple(sources)

    def log_path(self) -> Path:
        path = Path(self.log.file)
        return path if path.is_absolute() else self.data_dir / path


def _env_name(loc: tuple[Any, ...]) -> str:
    return ENV_PREFIX + "__".join(str(part).upper() for part in loc)


def _describe(exc: ValidationError) -> str:
    lines = []
    for err in exc.errors():
        loc = tuple(p for p in err["loc"] if not isinstance(p, int))
        # Errors inside a dict (opening_float) carry the dict key; keep the first two parts.
        key = ".".join(str(p) for p in loc[:2]) or "(settings)"
        message = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            message = "is not a known setting (check the spelling)"
        lines.append(f"  {key} ({_env_name(loc[:2])}): {message}")
    return "Invalid setting:\n" + "\n".join(lines)


def parse_overrides(pairs: list[str]) -> dict[str, Any]:
    """Turn `--set section.key=value` pairs into a nested dict for the command-line layer."""
    nested: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise SettingsError(f"--set {pair!r}: write it as section.key=value, e.g. printer.driver=simulated")
        parts = key.strip().split(".")
        target = nested
        for part in parts[:-1]:
            target = target.setdefault(part, {})
        if isinstance(target, dict):
            target[parts[-1]] = value
    return nested


def load_settings(
    config: Path | str | None = None, overrides: dict[str, Any] | None = None, *, config_from_env: bool = True
) -> Settings:
    """Build the settings from all layers, or raise SettingsError with a clear message."""
    path_text = str(config) if config else (os.environ.get(ENV_PREFIX + "CONFIG") if config_from_env else None)
    path = Path(path_text).expanduser() if path_text else None
    if path is not None:
        if not path.is_file():
            raise SettingsError(f"Config file {path} does not exist (from --config or {ENV_PREFIX}CONFIG).")
        try:
            with path.open("rb") as handle:
                tomllib.load(handle)
        except tomllib.TOMLDecodeError as exc:
            raise SettingsError(f"Config file {path} is not valid TOML: {exc}.") from None
        except OSError as exc:
            raise SettingsError(f"Config file {path} cannot be read: {exc.strerror}.") from None
    token = _config_file.set(path)
    try:
        return Settings(**(overrides or {}))
    except ValidationError as exc:
        raise SettingsError(_describe(exc)) from None
    finally:
        _config_file.reset(token)


def require(settings: Settings, *keys: str) -> None:
    """Fail clearly when a command needs settings that are not set (e.g. rapyd credentials)."""
    missing = []
    for key in keys:
        section, _, name = key.partition(".")
        value = getattr(getattr(settings, section), name)
        if value is None or (isinstance(value, SecretStr) and not value.get_secret_value()) or value == "":
            missing.append(f"  {key} ({_env_name(tuple(key.split('.')))}) is not set")
    if missing:
        raise SettingsError("Missing setting:\n" + "\n".join(missing) + "\nSet it in the config file or the environment.")


def opening_float_total(settings: Settings) -> dict[str, Decimal]:
    return {ccy: money.amount for ccy, money in settings.teller.opening_float.items()}
