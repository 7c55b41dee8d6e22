"""All settings, in one pydantic-settings model with a section per concern.

Layers, lowest first: defaults < TOML file (`--config FILE` or `KIOSK_CONFIG`) < environment
(`KIOSK_` prefix, `__` between section and key) < command line (`--set section.key=value`).
A wrong or missing setting becomes one `SettingsError` naming the key (as in TOML and as in the
environment), which the command line prints as a paragraph and exits non-zero.

Lists and per-currency tables given as text (environment, credentials, `--set`) are read as
JSON when they start with `[` or `{`, else in their simple form: `rapyd,pospointe` for a list,
`GBP=500.00,EUR=300` for a table.
"""

from __future__ import annotations

import contextvars
import json
import os
import tomllib
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal, get_args, get_origin

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, ValidationInfo, field_validator
from pydantic_settings import (
    BaseSettings,
    EnvSettingsSource,
    InitSettingsSource,
    NestedSecretsSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)
from pydantic_settings import SettingsError as SourceError

from kiosk.money import Money, MoneyError, parse_amount
from kiosk.pins import normalise_pin

ENV_PREFIX = "KIOSK_"


class SettingsError(Exception):
    """A setting that is missing or wrong; the message names the key and says what to do."""


_LIST_FORMS = 'a JSON list ["a", "b"], or the names separated by commas: a,b'
_TABLE_FORMS = 'KEY=VALUE pairs separated by commas, e.g. GBP=500.00,EUR=300, or a JSON object {"GBP": "500.00"}'


def _json(text: str, forms: str) -> Any:
    try:
        return json.loads(text)
    except ValueError as exc:
        reason = f"{exc.msg} at character {exc.pos + 1}" if isinstance(exc, json.JSONDecodeError) else str(exc)
        raise ValueError(f"is not valid JSON ({reason}): write it as {forms}") from None


def _from_text(value: Any, container: type) -> Any:
    """A list or a table written as text (environment, credential, --set): JSON when it starts
    like JSON, else the simple form: `a,b` for a list, `GBP=500.00,EUR=300` for a table."""
    if not isinstance(value, str):
        return value
    text = value.strip()
    opener, forms = ("[", _LIST_FORMS) if container is list else ("{", _TABLE_FORMS)
    if text.startswith(opener):
        return _json(text, forms)
    items = [part.strip() for part in text.split(",") if part.strip()]
    if container is list:
        return items
    table: dict[str, str] = {}
    for item in items:
        key, sep, entry = item.partition("=")
        if not sep or not key.strip():
            raise ValueError(f"{item!r} is not KEY=VALUE: write it as {_TABLE_FORMS}")
        if key.strip() in table:
            raise ValueError(f"{key.strip()} is given twice")
        table[key.strip()] = entry.strip()
    return table


# Defaults made by functions of this module rather than `list` or `dict`: pydantic reads each
# default factory's signature, and a builtin's is parsed from text by inspect's tokenizer, whose
# pattern costs the start-up about 3 ms to compile.
def _no_pins() -> list[str]:
    return []


def _no_amounts() -> dict[str, Money]:
    return {}


class _Section(BaseModel):
    # A misspelt key in a TOML file is an error, not silently ignored.
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)  # no endless timeouts

    @field_validator("*", mode="before")
    @classmethod
    def _text_forms(cls, value: Any, info: ValidationInfo) -> Any:
        # Runs after a field's own validators: lists and tables they do not read themselves.
        if not isinstance(value, str):
            return value
        if "\x00" in value:
            raise ValueError("contains a NUL character")
        if not value.isascii():
            try:
                value.encode("utf-8")  # the environment and argv keep undecodable bytes as surrogates
            except UnicodeEncodeError:
                raise ValueError("is not UTF-8 text") from None
        if info.field_name is None:  # always named for a field validator; a model validator is not one
            return value
        container = get_origin(cls.model_fields[info.field_name].annotation)
        return _from_text(value, container) if container in (list, dict) else value


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
    pin_sha256: list[str] = Field(default_factory=_no_pins)

    @field_validator("pin_sha256", mode="before")
    @classmethod
    def _parse_pins(cls, value: Any) -> list[str]:
        if isinstance(value, str):
            value = _from_text(value.replace(";", ","), list)
        if not isinstance(value, list) or not all(isinstance(pin, str) for pin in value):
            raise ValueError("must be a list of pins (text), e.g. [\"<64 hex digits>\"] or pin1,pin2")
        return [normalise_pin(pin) for pin in value]


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
    opening_float: dict[str, Money] = Field(default_factory=_no_amounts)
    cashier: str = "cashier"
    # Headless visits wait this long for the drawer to be closed before giving up.
    drawer_close_timeout: float = Field(default=120.0, gt=0, le=3600)
    # ISO 3166 region (e.g. GB) whose national phone numbers the cashier may type without the
    # country code; empty: every number is typed in international form (+44...).
    phone_region: str = ""
    # The till's locale (CLDR name, e.g. en_GB, de_DE, fr_CA): the decimal separator the
    # cashier types in amount fields and how amounts are shown. Empty: the likeliest locale
    # of phone_region (DE -> de_DE), else "en" (a decimal point). `kiosk txn --amount` and
    # the settings files always take a decimal point, whatever the locale.
    locale: str = ""

    @field_validator("phone_region")
    @classmethod
    def _check_region(cls, value: str) -> str:
        from kiosk.phone import check_region

        return check_region(value)

    @field_validator("locale")
    @classmethod
    def _check_locale(cls, value: str) -> str:
        from kiosk.money import MoneyError, amount_style

        try:
            return amount_style(value).locale if value.strip() else ""
        except MoneyError as exc:
            raise ValueError(str(exc)) from None

    @field_validator("opening_float", mode="before")
    @classmethod
    def _parse_float(cls, value: Any) -> dict[str, Money]:
        value = _from_text(value, dict)  # from the environment or --set: GBP=500.00,EUR=300 or JSON
        if not isinstance(value, dict):
            raise ValueError('must be a table of currency = "amount", e.g. { GBP = "500.00" } (GBP=500.00 as text)')
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


class JournalSettings(_Section):
    # The key of the journal's MACs (32+ characters), a credential kept out of the data dir
    # (KIOSK_JOURNAL__MAC_KEY; the package makes one at first install). Unset, it is derived
    # from the first enabled back end's API secret, which then must not be rotated.
    mac_key: SecretStr | None = None

    @field_validator("mac_key")
    @classmethod
    def _long_enough(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value().strip()) < 32:
            raise ValueError("must be at least 32 characters (e.g. 64 hex digits from `openssl rand -hex 32`)")
        return value


class LimitsSettings(_Section):
    # Above these (per currency) a supervisor approves with their PIN, e.g. { GBP = "250.00" }.
    # They apply with auth.required (supervisors sign in); a currency not listed has no limit.
    per_visit: dict[str, Money] = Field(default_factory=_no_amounts)
    per_shift: dict[str, Money] = Field(default_factory=_no_amounts)

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


def _rapyd_only() -> list[BackendName]:
    return ["rapyd"]


class BackendsSettings(_Section):
    # The back ends the cashier can choose from on the ready screen, per visit.
    enabled: list[BackendName] = Field(default_factory=_rapyd_only)

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


VerifyFormat = Literal["sms", "email", "security_question", "regular_purchase_bypass", "merchant_override"]


def _formats_without_supervisor() -> list[VerifyFormat]:
    return ["sms", "email", "security_question", "regular_purchase_bypass"]


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
    verify_formats: list[VerifyFormat] = Field(default_factory=_formats_without_supervisor)


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


# The TOML file's tables, read once by load_settings (which reports its faults) for this build.
_config_data: contextvars.ContextVar[dict[str, Any] | None] = contextvars.ContextVar("kiosk_config_data", default=None)


class _AsWritten(EnvSettingsSource):
    """Environment and credential values as the operator wrote them: a section's value is read
    as JSON when it is JSON (else validation says it is a section); a list or a table reaches
    its field's validators as text, which read JSON or the simple form (`a,b`, `GBP=5,EUR=3`).
    pydantic-settings would JSON-decode them and fail with a traceback naming no key."""

    _where: str  # where the values come from, for the message: set by each source below

    def decode_complex_value(self, field_name: str, field: Any, value: Any) -> Any:
        annotation = getattr(field, "annotation", None)
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            try:
                return json.loads(value)
            except ValueError:
                return value
        return value

    def __call__(self) -> dict[str, Any]:
        # KIOSK_SECTION__KEY with an unknown section would be ignored: a misspelt section is an
        # error, as in the TOML file (other KIOSK_ variables without "__" are not settings).
        prefix = self.env_prefix.lower()
        for name in sorted(self.env_vars):
            section, nested, _ = name.lower().removeprefix(prefix).partition("__")
            if name.lower().startswith(prefix) and nested and section not in self.settings_cls.model_fields:
                raise SettingsError(
                    f"Invalid setting:\n  {_key_name(name)} ({name.upper()}) from the {self._where}: "
                    f"{_unknown_section(section)}"
                )
        return super().__call__()


class _Environment(_AsWritten):
    _where = "environment"


class _Credentials(_AsWritten, NestedSecretsSettingsSource):
    """systemd credentials: one flat directory, one file per setting named like its variable."""

    _where = "credentials directory"

    @classmethod
    def load_secrets(cls, path: Path) -> dict[str, str]:
        secrets: dict[str, str] = {}
        try:
            entries = sorted(path.iterdir())
        except FileNotFoundError:
            return secrets
        except OSError as exc:
            raise SettingsError(f"$CREDENTIALS_DIRECTORY {path} cannot be read: {exc.strerror}.") from None
        for entry in entries:
            if not entry.name.upper().startswith(ENV_PREFIX):
                continue  # another service's credential
            named = f"{_key_name(entry.name)} ({entry.name.upper()}) from the credential {entry}"
            if not entry.is_file():
                raise SettingsError(f"Invalid setting:\n  {named}: is not a file: a credential is one file holding the value.")
            try:
                secrets[entry.name] = entry.read_bytes().decode("utf-8").strip()
            except UnicodeDecodeError:
                raise SettingsError(f"Invalid setting:\n  {named}: is not UTF-8 text: write the value as text.") from None
            except OSError as exc:
                raise SettingsError(f"Invalid setting:\n  {named}: cannot be read ({exc.strerror}).") from None
        return secrets


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
    journal: JournalSettings = JournalSettings()
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
        sources: list[PydanticBaseSettingsSource] = [init_settings, _Environment(settings_cls)]
        credentials = os.environ.get("CREDENTIALS_DIRECTORY")
        if credentials:
            # systemd LoadCredential=: one file per secret, named like its environment
            # variable (KIOSK_RAPYD__SECRET_KEY); below the environment, above the file.
            if os.path.exists(credentials) and not os.path.isdir(credentials):
                raise SettingsError(f"$CREDENTIALS_DIRECTORY {credentials} is not a directory of credential files.")
            sources.append(_Credentials(file_secret_settings, secrets_dir=credentials, secrets_dir_missing="ok"))
        data = _config_data.get()
        if data is not None:
            sources.append(InitSettingsSource(settings_cls, init_kwargs=data))
        return tuple(sources)

    @field_validator("data_dir", mode="before")
    @classmethod
    def _named_dir(cls, value: Any) -> Any:
        # Path("") is the current directory: the journal would land wherever the command ran.
        if isinstance(value, str) and not value.strip():
            raise ValueError(f"is empty: give the directory of the journal and the till's local state, {_DATA_DIR_EXAMPLE}")
        if isinstance(value, str) and "\x00" in value:
            raise ValueError("contains a NUL character")
        return value

    def log_path(self) -> Path:
        path = Path(self.log.file)
        return path if path.is_absolute() else self.data_dir / path


def _env_name(loc: tuple[Any, ...]) -> str:
    return ENV_PREFIX + "__".join(str(part).upper() for part in loc)


def _key_name(env_name: str) -> str:
    """KIOSK_RAPYD__SECRET_KEY -> rapyd.secret_key"""
    return env_name.upper().removeprefix(ENV_PREFIX).lower().replace("__", ".")


def _field(loc: tuple[Any, ...]) -> Any:
    """The FieldInfo at section.key (or a top-level key), None when there is none."""
    fields: dict[str, Any] | None = Settings.model_fields
    info = None
    for part in loc:
        info = (fields or {}).get(str(part))
        if info is None:
            return None
        fields = info.annotation.model_fields if _is_section(info) else None
    return info


def _is_section(info: Any) -> bool:
    return isinstance(info.annotation, type) and issubclass(info.annotation, BaseModel)


def _unknown_section(name: str) -> str:
    return f"{name} is not a known section or setting (check the spelling; known: {', '.join(Settings.model_fields)})"


def _origin(loc: tuple[Any, ...], overrides: dict[str, Any], config: dict[str, Any], path: Path | None) -> str:
    """Which layer the winning value came from, so the operator knows where to fix it."""
    def holds(table: Any) -> bool:
        for part in loc:
            if not isinstance(table, dict) or str(part) not in table:
                return False
            table = table[str(part)]
        return True

    env = _env_name(loc)
    credentials = os.environ.get("CREDENTIALS_DIRECTORY")
    if holds(overrides):
        return " from the command line"
    if env in os.environ:
        return " from the environment"
    if credentials and os.path.isfile(os.path.join(credentials, env)):
        return f" from the credential {os.path.join(credentials, env)}"
    if holds(config):
        return f" in {path}"
    return ""


def _explain(err: Any, loc: tuple[Any, ...]) -> str:
    info = _field(loc)
    if err["type"] == "extra_forbidden":
        parent = _field(loc[:-1]) if len(loc) > 1 else None
        if len(loc) == 1:
            return _unknown_section(str(loc[0]))
        if parent is not None and _is_section(parent):
            known = ", ".join(parent.annotation.model_fields)
            return f"is not a known setting of [{loc[0]}] (check the spelling; known: {known})"
    if info is not None and _is_section(info) and err["type"] in ("model_type", "model_attributes_type", "dict_type"):
        first = next(iter(info.annotation.model_fields))
        return (
            f"is a section, not a value: set its keys, e.g. {loc[0]}.{first} ({_env_name((*loc, first))}), "
            f"or [{loc[0]}] in the config file"
        )
    message = err["msg"].removeprefix("Value error, ")
    secret = info is None or SecretStr in (info.annotation, *get_args(info.annotation))
    shown = err.get("input")
    if err["type"] not in ("value_error", "assertion_error", "missing") and not secret and isinstance(shown, (str, int, float)):
        text = repr(shown)
        message += f" (got {text[:60] + '...' if len(text) > 60 else text})"
    return message


def _describe(exc: ValidationError, overrides: dict[str, Any], config: dict[str, Any], path: Path | None) -> str:
    lines = []
    for err in exc.errors():
        loc = tuple(p for p in err["loc"] if not isinstance(p, int))
        shown = loc[:2]
        if err["type"] == "extra_forbidden" and len(loc) == 1 and isinstance(err.get("input"), dict) and err["input"]:
            shown = (loc[0], next(iter(err["input"])))  # an unknown section: name the key as written
        # Errors inside a dict (opening_float) carry the dict key; keep the first two parts.
        key = ".".join(str(p) for p in shown) or "(settings)"
        origin = _origin(shown, overrides, config, path)
        lines.append(f"  {key} ({_env_name(shown)}){origin}: {_explain(err, loc[:2])}")
    return "Invalid setting:\n" + "\n".join(lines)


def parse_overrides(pairs: list[str]) -> dict[str, Any]:
    """Turn `--set section.key=value` pairs into a nested dict for the command-line layer."""
    nested: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise SettingsError(f"--set {pair!r}: write it as section.key=value, e.g. printer.driver=simulated")
        parts = [part.strip() for part in key.split(".")]
        if not all(parts):
            raise SettingsError(f"--set {pair!r}: a key is section.key, e.g. printer.driver=simulated")
        target = nested
        for part in parts[:-1]:
            target = target.setdefault(part, {})
            if not isinstance(target, dict):
                raise SettingsError(f"--set {pair!r}: {part} was already given a value of its own by another --set")
        target[parts[-1]] = value
    return nested


def _read_config(path: Path) -> dict[str, Any]:
    named = f"Config file {path} (from --config or {ENV_PREFIX}CONFIG)"
    if path.is_dir():
        raise SettingsError(f"{named} is a directory: give the TOML file, e.g. /etc/kiosk/kiosk.toml.")
    if not path.exists():
        raise SettingsError(f"{named} does not exist.")
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(f"{named} is not valid TOML: {exc}.") from None
    except UnicodeDecodeError as exc:
        raise SettingsError(f"{named} is not UTF-8 text (byte {exc.start + 1} is not UTF-8): save it as UTF-8.") from None
    except OSError as exc:
        raise SettingsError(f"{named} cannot be read: {exc.strerror}.") from None


def load_settings(
    config: Path | str | None = None, overrides: dict[str, Any] | None = None, *, config_from_env: bool = True
) -> Settings:
    """Build the settings from all layers, or raise SettingsError with a clear message."""
    path_text = str(config) if config else (os.environ.get(ENV_PREFIX + "CONFIG") if config_from_env else None)
    path = Path(path_text).expanduser() if path_text else None
    data = _read_config(path) if path is not None else None
    token = _config_data.set(data)
    try:
        return Settings(**(overrides or {}))
    except ValidationError as exc:
        raise SettingsError(_describe(exc, overrides or {}, data or {}, path)) from None
    except SourceError as exc:  # the sources' own faults, e.g. an oversized credentials directory
        raise SettingsError(f"The settings cannot be read: {exc}.") from None
    finally:
        _config_data.reset(token)


# The settings each back end cannot work without (checked before a till opens anything).
BACKEND_NEEDS = {
    "rapyd": ("rapyd.base_url", "rapyd.access_key", "rapyd.secret_key", "rapyd.pos_id"),
    "pospointe": ("pospointe.user", "pospointe.password", "pospointe.store_id", "pospointe.franchisee_id"),
    "sdkfinance": ("sdkfinance.cash_point_login", "sdkfinance.cash_point_password"),
    "flexiti": ("flexiti.client_id", "flexiti.client_secret"),
}


def enabled_backends(settings: Any) -> list[str]:
    """backends.enabled, in order; Rapyd alone for settings without that section."""
    backends = getattr(settings, "backends", None)
    return list(getattr(backends, "enabled", None) or ["rapyd"])


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


_DATA_DIR_KEY = f"data_dir ({ENV_PREFIX}DATA_DIR, or --data-dir)"
_DATA_DIR_EXAMPLE = "e.g. /var/lib/kiosk (data_dir in the config file, KIOSK_DATA_DIR or --data-dir)"


def check_data_dir(path: Path | str, *, write: bool = True) -> None:
    """Refuse a data dir the command cannot use, before anything is written there: one
    SettingsError naming the key. With `write`, a missing one is created (as always)."""
    if not str(path).strip():  # Path("") is the current directory
        raise SettingsError(f"{_DATA_DIR_KEY}: is empty: give the directory of the journal and local state, {_DATA_DIR_EXAMPLE}.")
    path = Path(path)
    usable = "a directory the kiosk's user can write (the journal and the till's local state live there)"
    try:
        is_dir = path.is_dir()
        missing = not is_dir and not path.exists() and not path.is_symlink()
    except OSError as exc:
        raise SettingsError(f"{_DATA_DIR_KEY}: {path} cannot be reached ({exc.strerror}): set it to {usable}.") from None
    if not is_dir and not missing:
        what = "a file, not a directory" if path.is_file() else "not a directory (or a broken link)"
        raise SettingsError(f"{_DATA_DIR_KEY}: {path} is {what}: set it to {usable}.")
    if not write:
        return
    if missing:
        try:
            path.mkdir(parents=True)
        except OSError as exc:
            raise SettingsError(
                f"{_DATA_DIR_KEY}: {path} does not exist and cannot be created ({exc.strerror}): set it to {usable}."
            ) from None
    if not os.access(path, os.W_OK | os.X_OK):
        raise SettingsError(f"{_DATA_DIR_KEY}: {path} is not writable by user {_user()}: set it to {usable}.")


def _user() -> str:
    import pwd

    try:
        return pwd.getpwuid(os.geteuid()).pw_name
    except KeyError:
        return str(os.geteuid())
