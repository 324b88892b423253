"""Paints coverage badges as coloured chips (green = present, amber = missing, grey = masked)."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QObject, QPersistentModelIndex, QRect, QSize, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPixmap
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem

from betfolio.app.coverage_badges import Badge, BadgeState
from betfolio.app.matches_model import BADGES_ROLE

BADGE_COLOURS: dict[BadgeState, tuple[QColor, QColor]] = {
    BadgeState.PRESENT: (QColor("#2e7d32"), QColor("#ffffff")),
    BadgeState.MISSING: (QColor("#f9a825"), QColor("#000000")),
    BadgeState.MASKED: (QColor("#d0d0d0"), QColor("#606060")),
}


class BadgeDelegate(QStyledItemDelegate):
    """Badges are drawn once per distinct combination into a cached pixmap, then blitted.

    A season has only a handful of distinct badge rows, and blitting is what keeps scrolling a 40k-row table
    within a frame (see ``betfolio bench app``).
    """

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._cache: dict[tuple[str, int, int, float], QPixmap] = {}

    def paint(
        self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> None:
        badges: list[Badge] | None = index.data(BADGES_ROLE)
        if not badges:
            super().paint(painter, option, index)
            return
        if option.state & QStyle.StateFlag.State_Selected:
            painter.fillRect(option.rect, option.palette.highlight())
        ratio = painter.device().devicePixelRatioF() if painter.device() is not None else 1.0
        rect = option.rect
        key = ("|".join(f"{b.label}:{b.state.value}" for b in badges), rect.width(), rect.height(), ratio)
        pixmap = self._cache.get(key)
        if pixmap is None:
            pixmap = self._render(badges, option, ratio)
            if len(self._cache) > 512:  # column resizes create new widths; keep the cache bounded
                self._cache.clear()
            self._cache[key] = pixmap
        painter.drawPixmap(rect.topLeft(), pixmap)

    @staticmethod
    def _render(badges: list[Badge], option: QStyleOptionViewItem, ratio: float) -> QPixmap:
        rect = option.rect
        pixmap = QPixmap(max(1, round(rect.width() * ratio)), max(1, round(rect.height() * ratio)))
        pixmap.setDevicePixelRatio(ratio)
        pixmap.fill(Qt.GlobalColor.transparent)
        painter = QPainter(pixmap)
        font = QFont(option.font)
        font.setPointSizeF(max(font.pointSizeF() - 2, 6))
        painter.setFont(font)
        metrics = QFontMetrics(font)
        x = 3
        height = min(rect.height() - 4, metrics.height() + 2)
        top = (rect.height() - height) // 2
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        for badge in badges:
            width = metrics.horizontalAdvance(badge.label) + 8
            if x + width > rect.width():
                break
            background, foreground = BADGE_COLOURS[badge.state]
            chip = QRect(x, top, width, height)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(background)
            painter.drawRoundedRect(chip, 3, 3)
            painter.setPen(foreground)
            painter.drawText(chip, Qt.AlignmentFlag.AlignCenter, badge.label)
            x += width + 3
        painter.end()
        return pixmap

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex) -> QSize:
        badges: list[Badge] | None = index.data(BADGES_ROLE)
        if not badges:
            return super().sizeHint(option, index)
        metrics = QFontMetrics(option.font)
        width = sum(metrics.horizontalAdvance(b.label) + 11 for b in badges) + 6
        return QSize(width, metrics.height() + 6)
