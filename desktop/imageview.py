"""The large photo view: zoom and pan, a labelled box per finding, manual regions drawn with the mouse.

Every box is named by its id ("f2" for a finding, "m1" for a region the user drew). A box can be
dragged to move it; the view reports the new box (`regionMoved`) and the window records the move in
the photo's review, so what is covered is where the user put it.
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import (
    QBrush,
    QColor,
    QImage,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPen,
    QPixmap,
    QWheelEvent,
)
from PySide6.QtWidgets import (
    QGraphicsItem,
    QGraphicsPixmapItem,
    QGraphicsRectItem,
    QGraphicsScene,
    QGraphicsSimpleTextItem,
    QGraphicsView,
    QWidget,
)

from desktop.models import CATEGORY_COLOURS
from sharesafe.types import Box, Category, Finding


class RegionItem(QGraphicsRectItem):
    """A finding's box or a drawn region, named by its id; the user can drag it."""

    def __init__(self, rect: QRectF, region_id: str, manual: bool, colour: QColor, covered: bool) -> None:
        super().__init__(rect)
        self.region_id, self.manual = region_id, manual
        pen = QPen(colour, 3 if covered else 2)
        pen.setCosmetic(True)  # same on-screen width at every zoom
        if not covered:
            pen.setStyle(Qt.PenStyle.DashLine)
        self.setPen(pen)
        fill = QColor(colour)
        fill.setAlpha(40 if covered else 0)
        self.setBrush(QBrush(fill))
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIsSelectable, True)
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIsMovable, True)
        self.setZValue(2 if manual else 1)

    def moved_box(self, width: int, height: int) -> Box | None:
        """The box where the user dragged this item (clipped to the image); None when not moved."""
        shift = self.pos()
        if abs(shift.x()) < 0.5 and abs(shift.y()) < 0.5:
            return None
        r = self.rect().translated(round(shift.x()), round(shift.y()))  # whole pixels: the size stays
        return Box.from_xyxy(r.left(), r.top(), r.right(), r.bottom(), width, height)

    def paint(self, painter: QPainter, option: object, widget: QWidget | None = None) -> None:
        super().paint(painter, option, widget)  # type: ignore[arg-type]
        if self.isSelected():
            pen = QPen(QColor("#ffffff"), 2, Qt.PenStyle.DashLine)
            pen.setCosmetic(True)
            painter.setPen(pen)
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRect(self.rect())


class ImageView(QGraphicsView):
    """Shows one photo. Wheel zooms (towards the cursor), drag pans; in draw mode a drag adds a region."""

    regionDrawn = Signal(object)  # Box in image pixels
    regionSelected = Signal(str)  # the id of the selected box; "" when none
    regionMoved = Signal(str, object)  # id, the Box where the user dragged it
    deleteRequested = Signal(str)  # id of a drawn region

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setScene(QGraphicsScene(self))
        self.setRenderHints(QPainter.RenderHint.Antialiasing | QPainter.RenderHint.SmoothPixmapTransform)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorUnderMouse)
        self.setDragMode(QGraphicsView.DragMode.ScrollHandDrag)
        self.setBackgroundBrush(QColor("#1f2937"))
        self._pixmap: QGraphicsPixmapItem | None = None
        self._items: list[RegionItem] = []
        self._labels: list[QGraphicsSimpleTextItem] = []
        self._drawing = False
        self._draw_start: QPointF | None = None
        self._rubber: QGraphicsRectItem | None = None
        self._image_size = (0, 0)
        self._fit = True
        self._syncing = False
        self.scene().selectionChanged.connect(self._selection_changed)

    # --- content -------------------------------------------------------------------------------
    @property
    def has_image(self) -> bool:
        return self._pixmap is not None

    def clear(self) -> None:
        self._syncing = True
        self._items, self._labels = [], []
        self._pixmap = None
        self.scene().clear()
        self._image_size = (0, 0)
        self._syncing = False

    def show_message(self, text: str) -> None:
        """Replace the photo with a message (a file that could not be read, a scan still running)."""
        self.clear()
        item = self.scene().addText(text)
        item.setDefaultTextColor(QColor("#e5e7eb"))
        font = item.font()
        font.setPointSizeF(font.pointSizeF() * 1.3)
        item.setFont(font)
        item.setTextWidth(max(self.viewport().width() * 0.8, 200))
        self.resetTransform()
        self.scene().setSceneRect(item.boundingRect())
        self.centerOn(item)

    def set_image(self, image: QImage | None, keep_view: bool = False) -> None:
        if image is None or image.isNull():
            self.clear()
            return
        pix = QPixmap.fromImage(image)
        new_size = (image.width(), image.height())
        if self._pixmap is None:
            self._pixmap = self.scene().addPixmap(pix)
            self._pixmap.setZValue(0)
            self._pixmap.setTransformationMode(Qt.TransformationMode.SmoothTransformation)
        else:
            self._pixmap.setPixmap(pix)
        same = keep_view and new_size == self._image_size
        self._image_size = new_size
        self.scene().setSceneRect(QRectF(0, 0, *new_size))
        if not same:
            self.fit()

    def set_regions(
        self,
        findings: list[tuple[Finding, bool]],
        manual: list[Finding],
        selected: str | None = None,
    ) -> None:
        """Redraw every box: the findings (each with whether it is covered), then drawn regions."""
        self._syncing = True
        for it in self._items:
            self.scene().removeItem(it)
        for lab in self._labels:
            self.scene().removeItem(lab)
        self._items, self._labels = [], []
        for f, covered in findings:
            colour = QColor(CATEGORY_COLOURS.get(f.category, "#ffffff"))
            text = f"{f.id} {f.category.value} {f.score:.2f}" + ("" if covered else " (left)")
            self._add(RegionItem(self._rect(f.box), f.id, False, colour, covered), text, colour)
        colour = QColor(CATEGORY_COLOURS[Category.MANUAL])
        for m in manual:
            self._add(RegionItem(self._rect(m.box), m.id, True, colour, True), f"{m.id} region", colour)
        if selected is not None:
            for it in self._items:
                if it.region_id == selected:
                    it.setSelected(True)
        self._syncing = False
        self._scale_labels()

    def _rect(self, box: Box) -> QRectF:
        return QRectF(box.x1, box.y1, box.width, box.height)

    def _add(self, item: RegionItem, text: str, colour: QColor) -> None:
        self.scene().addItem(item)
        self._items.append(item)
        label = QGraphicsSimpleTextItem(text)
        label.setBrush(QBrush(QColor("#ffffff")))
        label.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIgnoresTransformations, True)
        label.setPos(item.rect().topLeft())
        label.setZValue(3)
        bg = QGraphicsRectItem(label.boundingRect(), label)
        bg.setBrush(QBrush(colour.darker(150)))
        bg.setPen(QPen(Qt.PenStyle.NoPen))
        bg.setFlag(QGraphicsItem.GraphicsItemFlag.ItemStacksBehindParent, True)
        self.scene().addItem(label)
        self._labels.append(label)

    def _scale_labels(self) -> None:
        # Labels ignore the view's zoom; place them just above their box.
        for item, label in zip(self._items, self._labels, strict=True):
            h = label.boundingRect().height() / max(self.transform().m22(), 1e-6)
            top = item.rect().top() - h
            label.setPos(QPointF(item.rect().left(), top if top >= 0 else item.rect().top()))

    def items_state(self) -> list[tuple[str, bool, QRectF]]:
        """(id, drawn by the user, rect) of every box shown; for tests and the findings table."""
        return [(it.region_id, it.manual, it.rect()) for it in self._items]

    def item(self, region_id: str) -> RegionItem | None:
        return next((it for it in self._items if it.region_id == region_id), None)

    # --- selection ---------------------------------------------------------------------------------
    def select(self, region_id: str) -> None:
        self._syncing = True
        self.scene().clearSelection()
        it = self.item(region_id)
        if it is not None:
            it.setSelected(True)
            self.ensureVisible(it)
        self._syncing = False

    def selected(self) -> str | None:
        """The id of the selected box (None when none is)."""
        return next((it.region_id for it in self._items if it.isSelected()), None)

    def selected_is_manual(self) -> bool:
        sel = self.selected()
        it = self.item(sel) if sel is not None else None
        return it is not None and it.manual

    def _selection_changed(self) -> None:
        if self._syncing:
            return
        self.regionSelected.emit(self.selected() or "")

    # --- zoom ----------------------------------------------------------------------------------
    def fit(self) -> None:
        if self._pixmap is not None:
            self.resetTransform()
            self.fitInView(self.scene().sceneRect(), Qt.AspectRatioMode.KeepAspectRatio)
            self._fit = True
            self._scale_labels()

    def zoom(self, factor: float) -> None:
        current = self.transform().m11()
        target = min(max(current * factor, 0.02), 16.0)
        self.scale(target / current, target / current)
        self._fit = False
        self._scale_labels()

    def wheelEvent(self, event: QWheelEvent) -> None:
        steps = event.angleDelta().y() / 120
        if steps:
            self.zoom(1.25**steps)
        event.accept()

    def resizeEvent(self, event: object) -> None:
        super().resizeEvent(event)  # type: ignore[arg-type]
        if self._fit:
            self.fit()

    # --- drawing -------------------------------------------------------------------------------
    def set_draw_mode(self, on: bool) -> None:
        self._drawing = on
        self.setDragMode(QGraphicsView.DragMode.NoDrag if on else QGraphicsView.DragMode.ScrollHandDrag)
        self.viewport().setCursor(Qt.CursorShape.CrossCursor if on else Qt.CursorShape.OpenHandCursor)

    @property
    def draw_mode(self) -> bool:
        return self._drawing

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if self._drawing and event.button() == Qt.MouseButton.LeftButton and self._pixmap is not None:
            self._draw_start = self.mapToScene(event.position().toPoint())
            pen = QPen(QColor(CATEGORY_COLOURS[Category.MANUAL]), 2, Qt.PenStyle.DashLine)
            pen.setCosmetic(True)
            self._rubber = self.scene().addRect(QRectF(self._draw_start, self._draw_start), pen)
            self._rubber.setZValue(5)
            event.accept()
            return
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if self._rubber is not None and self._draw_start is not None:
            here = self.mapToScene(event.position().toPoint())
            self._rubber.setRect(QRectF(self._draw_start, here).normalized())
            event.accept()
            return
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if self._rubber is not None and self._draw_start is not None:
            here = self.mapToScene(event.position().toPoint())
            rect = QRectF(self._draw_start, here).normalized()
            self.scene().removeItem(self._rubber)
            self._rubber, self._draw_start = None, None
            w, h = self._image_size
            box = Box.from_xyxy(rect.left(), rect.top(), rect.right(), rect.bottom(), w, h)
            if box.width >= 4 and box.height >= 4:  # ignore a click
                self.regionDrawn.emit(box)
            event.accept()
            return
        super().mouseReleaseEvent(event)
        w, h = self._image_size
        for it in list(self._items):
            moved = it.moved_box(w, h)
            if moved is not None and not moved.is_empty:
                self.regionMoved.emit(it.region_id, moved)  # the review records it; the view redraws

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace):
            sel = self.selected()
            if sel is not None and self.selected_is_manual():
                self.deleteRequested.emit(sel)
                event.accept()
                return
        super().keyPressEvent(event)
