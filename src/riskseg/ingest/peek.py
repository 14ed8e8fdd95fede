"""Read only the headers of a source, for ``riskseg mapping suggest``."""

from __future__ import annotations

from pathlib import Path

import duckdb

from riskseg.contract import TABLES
from riskseg.errors import FileRejected
from riskseg.ingest import sources, textfile

_KNOWN = {c.name for t in TABLES.values() for c in t.columns}


def read_headers(path: Path) -> dict[str, list[str]]:
    """``{source name: headers}``; an Excel workbook gives one entry per sheet
    (``"file.xlsx#Sheet"``). Title rows above the header are skipped as on import."""
    if not path.is_file():
        raise FileRejected(str(path), "no such file")
    suffix = path.suffix.lower()
    if suffix in (".parquet", ".pq"):
        con = duckdb.connect()
        try:
            rows = con.execute(
                "SELECT name FROM parquet_schema(?) WHERE num_children IS NULL", [str(path)]
            ).fetchall()
        except duckdb.Error as exc:
            raise FileRejected(str(path), f"cannot be read as Parquet: {exc}") from exc
        finally:
            con.close()
        return {path.name: [str(r[0]) for r in rows]}
    if suffix in (".xlsx", ".xlsm"):
        from python_calamine import CalamineWorkbook

        out = {}
        wb = CalamineWorkbook.from_path(str(path))
        for sheet in sources.excel_sheets(path):
            data = wb.get_sheet_by_name(sheet).to_python(skip_empty_area=False)[:30]
            if not data:
                continue
            row = data[textfile.find_header_row(data, _KNOWN)]
            out[f"{path.name}#{sheet}"] = [str(c).strip() for c in row if str(c).strip()]
        return out
    encoding = textfile.detect_encoding(path)
    lay = textfile.layout(path, known=_KNOWN, encoding=encoding, delimiter=None, header_row=None)
    return {path.name: lay.headers}
