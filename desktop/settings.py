"""What the app remembers between runs (QSettings): output folder, cover style, window layout."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings

from sharesafe.redact import Style


class Settings:
    def __init__(self, ini_path: str | Path | None = None) -> None:
        if ini_path is not None:
            self.q = QSettings(str(ini_path), QSettings.Format.IniFormat)
        else:
            self.q = QSettings("ShareSafe", "ShareSafe")

    @property
    def output_dir(self) -> Path | None:
        value = self.q.value("export/output_dir", "")
        return Path(str(value)) if value else None

    @output_dir.setter
    def output_dir(self, path: Path | None) -> None:
        self.q.setValue("export/output_dir", "" if path is None else str(path))
        self.q.sync()

    @property
    def style(self) -> Style:
        try:
            return Style(str(self.q.value("export/style", Style.FILL.value)))
        except ValueError:
            return Style.FILL

    @style.setter
    def style(self, style: Style) -> None:
        self.q.setValue("export/style", style.value)
        self.q.sync()

    @property
    def kit_dir(self) -> Path | None:
        value = self.q.value("kit/dir", "")
        return Path(str(value)) if value else None

    @kit_dir.setter
    def kit_dir(self, path: Path | None) -> None:
        self.q.setValue("kit/dir", "" if path is None else str(path))
        self.q.sync()

    @property
    def profile(self) -> str | None:
        value = self.q.value("policy/profile", "")
        return str(value) if value else None

    @profile.setter
    def profile(self, name: str | None) -> None:
        self.q.setValue("policy/profile", name or "")
        self.q.sync()

    @property
    def geometry(self) -> QByteArray | None:
        value = self.q.value("window/geometry")
        return value if isinstance(value, QByteArray) else None

    @geometry.setter
    def geometry(self, value: QByteArray) -> None:
        self.q.setValue("window/geometry", value)
