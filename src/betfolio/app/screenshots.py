"""Screenshots of every page: ``python -m betfolio.app.screenshots OUTDIR [--db URL]``.

Without ``--db`` the bundled real sample is ingested into a temporary SQLite database first, so the pictures
always show real data. Runs offscreen unless a display is set (under Xvfb it renders through the real X11
platform plugin). The first match of the table is opened on the Matches page.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

PAGES = {
    "Portfolio": "portfolio.png",
    "Matches": "matches.png",
    "Live": "live.png",
    "Train & backtest": "backtest.png",
    "Providers & settings": "providers.png",
}


def capture(out_dir: Path, db_url: str, size: tuple[int, int] = (1440, 900)) -> list[Path]:
    from PySide6.QtWidgets import QApplication

    from betfolio.app.context import AppContext
    from betfolio.app.main_window import MainWindow

    app = QApplication.instance() or QApplication([])
    context = AppContext.open(db_url)
    window = MainWindow(context)
    window.resize(*size)
    window.show()
    app.processEvents()
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for title, name in PAGES.items():
        window.show_page(title)
        page = window.pages[title]
        prepare = getattr(page, "prepare_screenshot", None)
        if prepare is not None:
            prepare()
        for _ in range(5):
            app.processEvents()
        path = out_dir / name
        if not window.grab().save(str(path)):
            raise OSError(f"could not write {path}")
        written.append(path)
    window.close()
    context.engine.dispose()
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--db", help="database URL or SQLite path (default: a temporary copy of the bundled sample)")
    args = parser.parse_args(argv)
    if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    if args.db:
        paths = capture(args.out_dir, args.db)
    else:
        from betfolio.demo import bundled_sample
        from betfolio.providers.football_data.ingest import ingest_paths
        from betfolio.store.engine import make_engine
        from betfolio.store.migrate import upgrade

        with tempfile.TemporaryDirectory() as tmp:
            url = f"sqlite:///{Path(tmp) / 'screenshots.sqlite'}"
            engine = make_engine(url)
            upgrade(engine)
            print("ingesting the bundled sample…", file=sys.stderr)
            with bundled_sample() as sample:
                summary = ingest_paths(engine, [sample])
            engine.dispose()
            if summary.errors:
                print("\n".join(summary.errors), file=sys.stderr)
                return 1
            paths = capture(args.out_dir, url)
    for path in paths:
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
