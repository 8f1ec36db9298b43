"""Layout in logical units: every game places things on a 64 x 64 logical canvas, scaled to S."""

from __future__ import annotations

from dataclasses import dataclass

LOGICAL_SIZE = 64


@dataclass(frozen=True)
class Box:
    """A pixel-aligned box; `top`/`left` inclusive, `bottom`/`right` exclusive."""

    top: int
    left: int
    bottom: int
    right: int

    @property
    def height(self) -> int:
        return self.bottom - self.top

    @property
    def width(self) -> int:
        return self.right - self.left

    @property
    def slices(self) -> tuple[slice, slice]:
        return slice(self.top, self.bottom), slice(self.left, self.right)

    def inset(self, pixels: int) -> Box:
        return Box(self.top + pixels, self.left + pixels, self.bottom - pixels, self.right - pixels)


@dataclass(frozen=True)
class Grid:
    """A board of `rows x cols` square cells of `cell` pixels with its corner at (top, left)."""

    top: int
    left: int
    rows: int
    cols: int
    cell: int

    @property
    def box(self) -> Box:
        return Box(
            self.top, self.left, self.top + self.rows * self.cell, self.left + self.cols * self.cell
        )


@dataclass(frozen=True)
class Layout:
    """Converts logical units (0..64 across the frame) to pixels of a `size x size` frame."""

    size: int

    def px(self, units: float) -> float:
        return units * self.size / LOGICAL_SIZE

    def box(self, top: float, left: float, height: float, width: float) -> Box:
        """Pixel box of a logical box; edges are rounded so adjacent boxes tile exactly."""
        t, le = round(self.px(top)), round(self.px(left))
        return Box(t, le, round(self.px(top + height)), round(self.px(left + width)))

    def grid(
        self, top: float, left: float, height: float, width: float, rows: int, cols: int
    ) -> Grid:
        """The largest board of square integer-pixel cells centred in the logical box."""
        area = self.box(top, left, height, width)
        cell = min(area.height // rows, area.width // cols)
        if cell < 1:
            raise ValueError(
                f"a {rows}x{cols} board does not fit in {area} at frame size {self.size}"
            )
        return Grid(
            top=area.top + (area.height - rows * cell) // 2,
            left=area.left + (area.width - cols * cell) // 2,
            rows=rows,
            cols=cols,
            cell=cell,
        )

    def grid_for(self, count: int, top: float, left: float, height: float, width: float) -> Grid:
        """A board with room for `count` cells, shaped to make the cells as large as possible."""
        area = self.box(top, left, height, width)

        def cell(cols: int) -> int:
            return min(area.height // -(-count // cols), area.width // cols)

        cols = max(range(1, count + 1), key=cell)
        return self.grid(top, left, height, width, rows=-(-count // cols), cols=cols)

    def glyph_scale(self, height: float) -> int:
        """Integer magnification of the 5-pixel-high font that best fills `height` logical units."""
        return max(1, round(self.px(height) / 5))
