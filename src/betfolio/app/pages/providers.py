"""Providers & settings: provider health and coverage, the database URL, API keys (never shown in full)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy import Engine, text

from betfolio.app.context import AppContext
from betfolio.app.pages import Page
from betfolio.app.providers_data import LeagueCoverage, ProviderInfo, coverage_by_league, provider_overview
from betfolio.app.settings import (
    KEYED_PROVIDERS,
    AppSettings,
    SecretStore,
    SettingsError,
    key_from_environment,
    mask_secret,
)
from betfolio.app.widgets import RecordsModel, records_view, section_title
from betfolio.store.engine import describe, make_engine, resolve_database_url

PROVIDER_HEADERS = (
    "provider",
    "circuit",
    "quota today",
    "quota / min",
    "last success (UTC)",
    "last failure (UTC)",
    "last error",
    "leagues",
    "league seasons",
    "payloads",
    "API key",
)
COVERAGE_HEADERS = ("provider", "league", "name", "seasons", "covered", "not covered (masked)", "statistics")
CIRCUIT_COLOURS = {"open": QColor("#ffcdd2"), "half_open": QColor("#ffe0b2")}


def _ts(value: datetime | None) -> str | None:
    return None if value is None else value.strftime("%Y-%m-%d %H:%M")


class ProvidersPage(Page):
    title = "Providers & settings"
    #: Emitted when a connection test ends (True = connected).
    tested = Signal(bool)

    def __init__(self, context: AppContext) -> None:
        super().__init__(context)
        self.secrets = SecretStore(context.settings_dir)
        self.providers_model = RecordsModel(PROVIDER_HEADERS)
        self.coverage_model = RecordsModel(COVERAGE_HEADERS)
        self.providers_view = records_view(self.providers_model)
        self.coverage_view = records_view(self.coverage_model)

        self.db_current = QLabel(context.database)
        self.db_current.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.db_edit = QLineEdit()
        self.db_edit.setPlaceholderText("sqlite file path, sqlite:///…, or postgresql://user@host/db")
        self.db_test = QPushButton("Test connection")
        self.db_save = QPushButton("Use on next start")
        self.db_status = QLabel("")
        self.db_status.setWordWrap(True)
        db_box = QGroupBox("Database")
        db_form = QFormLayout(db_box)
        db_form.addRow("in use", self.db_current)
        row = QHBoxLayout()
        row.addWidget(self.db_edit, 1)
        row.addWidget(self.db_test)
        row.addWidget(self.db_save)
        db_form.addRow("change", row)
        db_form.addRow("", self.db_status)

        self.key_provider = QComboBox()
        for name, description in KEYED_PROVIDERS.items():
            self.key_provider.addItem(f"{name} — {description}", name)
        self.key_edit = QLineEdit()
        self.key_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.key_edit.setPlaceholderText("paste the key (it is never displayed again)")
        self.key_save = QPushButton("Save key")
        self.key_remove = QPushButton("Remove")
        self.key_status = QLabel("")
        keys_box = QGroupBox("API keys")
        keys_form = QFormLayout(keys_box)
        keys_form.addRow("provider", self.key_provider)
        key_row = QHBoxLayout()
        key_row.addWidget(self.key_edit, 1)
        key_row.addWidget(self.key_save)
        key_row.addWidget(self.key_remove)
        keys_form.addRow("key", key_row)
        keys_form.addRow("stored", self.key_status)
        keys_form.addRow("storage", QLabel(self.secrets.backend))

        settings = QHBoxLayout()
        settings.addWidget(db_box, 1)
        settings.addWidget(keys_box, 1)
        tables = QSplitter(Qt.Orientation.Vertical)
        tables.setObjectName("providers-tables")
        for title, view in (("Providers", self.providers_view), ("Coverage per league", self.coverage_view)):
            box = QWidget()
            box_layout = QVBoxLayout(box)
            box_layout.setContentsMargins(0, 0, 0, 0)
            box_layout.addWidget(section_title(title))
            box_layout.addWidget(view)
            tables.addWidget(box)
        self.empty_hint = QLabel(
            "No coverage recorded yet: ingest data (the Matches page can load the bundled sample)."
        )
        layout = QVBoxLayout(self.content)
        layout.addWidget(tables, 1)
        layout.addWidget(self.empty_hint)
        layout.addLayout(settings)

        self.db_test.clicked.connect(self.test_database)
        self.db_save.clicked.connect(self.save_database)
        self.key_save.clicked.connect(self.save_key)
        self.key_remove.clicked.connect(self.remove_key)
        self.key_provider.currentIndexChanged.connect(self._show_key)

    needs_matches = False  # settings stay reachable on an empty database

    def load(self, engine: Engine, request: object) -> ProvidersLoad:
        with engine.connect() as conn:
            providers = provider_overview(conn)
            coverage = coverage_by_league(conn)
        # The OS keyring may be a D-Bus round trip: read the masked keys here too.
        keys = {p.provider: self._key_display(p.provider) for p in providers if p.needs_key}
        return ProvidersLoad(providers, coverage, keys)

    def show_data(self, data: ProvidersLoad) -> None:
        providers, coverage = data.providers, data.coverage
        self.providers_model.set_rows(
            [
                (
                    p.provider,
                    p.circuit_state or "—",
                    p.quota_day,
                    p.quota_minute,
                    _ts(p.last_success),
                    _ts(p.last_failure),
                    p.last_error,
                    p.leagues,
                    p.seasons,
                    p.payloads,
                    data.keys.get(p.provider, "?") if p.needs_key else "not needed",
                )
                for p in providers
            ],
            [CIRCUIT_COLOURS.get(p.circuit_state or "") for p in providers],
        )
        self.coverage_model.set_rows(
            [
                (
                    c.provider,
                    c.league,
                    c.league_name,
                    f"{c.seasons[0]} … {c.seasons[-1]} ({len(c.seasons)})" if len(c.seasons) > 1 else c.seasons[0],
                    ", ".join(c.flags_on),
                    ", ".join(c.flags_off),
                    ", ".join(c.statistics),
                )
                for c in coverage
            ]
        )
        self.providers_view.resizeColumnsToContents()
        self.coverage_view.resizeColumnsToContents()
        self.empty_hint.setVisible(not coverage)
        self._show_key()

    def _key_display(self, provider: str) -> str:
        env = key_from_environment(provider)
        if env is not None:
            return f"{mask_secret(os.environ[env])} (from ${env}, used first)"
        return self.secrets.masked(provider)

    def export_model(self) -> RecordsModel:
        return self.providers_model

    # --- database --------------------------------------------------------------------------------------
    @Slot()
    def test_database(self, then_save: bool = False) -> None:
        """Try the URL in the background (an unreachable host takes seconds to give up; the window stays live)."""
        raw = self.db_edit.text().strip()
        if not raw:
            self.db_status.setText("enter a database URL or SQLite file path first")
            return
        self.db_status.setText(f"connecting to {raw}…")
        self.db_test.setEnabled(False)
        self.db_save.setEnabled(False)
        self.context.reads.submit(
            f"{self.title}/test-database",
            lambda: try_database(raw),
            lambda described: self._on_tested(described, then_save),
            self._on_test_failed,
        )

    def _on_tested(self, described: str, then_save: bool) -> None:
        self.db_test.setEnabled(True)
        self.db_save.setEnabled(True)
        self.db_status.setText(f"connected to {described}")
        self.tested.emit(True)
        if then_save:
            self._save_database()

    def _on_test_failed(self, message: str) -> None:
        self.db_test.setEnabled(True)
        self.db_save.setEnabled(True)
        self.db_status.setText(f"cannot connect: {message}")
        self.tested.emit(False)

    @Slot()
    def save_database(self) -> None:
        """Test first; saved only once the connection worked."""
        self.test_database(then_save=True)

    def _save_database(self) -> None:
        try:
            settings = AppSettings.load(self.context.settings_dir)
            settings.database_url = resolve_database_url(self.db_edit.text().strip())
            path = settings.save(self.context.settings_dir)
        except (OSError, SettingsError) as exc:
            self.db_status.setText(f"not saved: {exc}")
            return
        self.db_status.setText(f"saved to {path}; used the next time the app starts without --db")

    # --- API keys --------------------------------------------------------------------------------------
    @property
    def key_target(self) -> str:
        return str(self.key_provider.currentData())

    @Slot()
    def _show_key(self) -> None:
        try:
            self.key_status.setText(self.secrets.masked(self.key_target))
        except SettingsError as exc:
            self.key_status.setText(str(exc))

    @Slot()
    def save_key(self) -> None:
        try:
            self.secrets.set(self.key_target, self.key_edit.text())
        except (SettingsError, OSError) as exc:
            self.key_status.setText(f"not saved: {exc}")
            return
        finally:
            self.key_edit.clear()
        self._show_key()
        self.refresh()

    @Slot()
    def remove_key(self) -> None:
        try:
            self.secrets.delete(self.key_target)
        except (SettingsError, OSError) as exc:
            self.key_status.setText(f"not removed: {exc}")
            return
        self._show_key()
        self.refresh()


#: Seconds a connection test waits for a server before giving up.
CONNECT_TIMEOUT_S = 5


def try_database(raw: str) -> str:
    """Connect to a database URL or SQLite path and run ``SELECT 1``; its safe description, or an exception."""
    url = resolve_database_url(raw)
    options = {"connect_args": {"connect_timeout": CONNECT_TIMEOUT_S}} if url.startswith("postgresql") else {}
    engine = make_engine(url, **options)
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        return describe(engine)
    finally:
        engine.dispose()


@dataclass(frozen=True, slots=True)
class ProvidersLoad:
    providers: list[ProviderInfo]
    coverage: list[LeagueCoverage]
    keys: dict[str, str]
