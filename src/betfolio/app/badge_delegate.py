"""Paints coverage badges as coloured chips (green = present, amber = missing, grey = masked)."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRect, QSize, Qt
from PySide6.QtGui import QColor, QFontMetrics, QPainter
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem

from betfolio.app.coverage_badges import Badge, BadgeState
from betfolio.app.matches_model import BADGES_ROLE

BADGE_COLOURS: dict[BadgeState, tuple[QColor, QColor]] = {
    BadgeState.PRESENT: (QColor("#2e7d32"), QColor("#ffffff")),
    BadgeState.MISSING: (QColor("#f9a825"), QColor("#000000")),
    BadgeState.MASKED: (QColor("#d0d0d0"), QColor("#606060")),
}


class BadgeDelegate(QStyledItemDelegate):
    def paint(
        self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> None:
        badges: list[Badge] | None = index.data(BADGES_ROLE)
        if not badges:
            super().paint(painter, option, index)
            return
        painter.save()
        if option.state & QStyle.StateFlag.State_Selected:
            painter.fillRect(option.rect, option.palette.highlight())
        font = painter.font()
        font.setPointSizeF(max(font.pointSizeF() - 2, 6))
        painter.setFont(font)
        metrics = QFontMetrics(font)
        x = option.rect.left() + 3
        height = min(option.rect.height() - 4, metrics.height() + 2)
        top = option.rect.top() + (option.rect.height() - height) // 2
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        for badge in badges:
            width = metrics.horizontalAdvance(badge.label) + 8
            if x + width > option.rect.right():
                break
            background, foreground = BADGE_COLOURS[badge.state]
            rect = QRect(x, top, width, height)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(background)
            painter.drawRoundedRect(rect, 3, 3)
            painter.setPen(foreground)
            painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, badge.label)
            x += width + 3
        painter.restore()

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex) -> QSize:
        badges: list[Badge] | None = index.data(BADGES_ROLE)
        if not badges:
            return super().sizeHint(option, index)
        metrics = QFontMetrics(option.font)
        width = sum(metrics.horizontalAdvance(b.label) + 11 for b in badges) + 6
        return QSize(width, metrics.height() + 6)
