"""Files made to hurt an import: built byte by byte, so a test or the bench can make them in a
second or two without a spreadsheet program."""

import io
import random
import re
import zipfile

import openpyxl

SHEET = "xl/worksheets/sheet1.xml"


def million_row_xlsx(rows: int = 1_000_000, columns: int = 20) -> bytes:
    """An XLSX of `rows` rows of `columns` short strings: a few MB packed, several hundred MB of
    sheet XML unpacked (the file that held a server for 12 minutes)."""
    book = openpyxl.Workbook()
    book.active.append([f"列{n}" for n in range(columns)])
    template = io.BytesIO()
    book.save(template)
    out = io.BytesIO()
    row = ("<row>" + '<c t="inlineStr"><is><t>ab</t></is></c>' * columns + "</row>").encode()
    with (
        zipfile.ZipFile(io.BytesIO(template.getvalue())) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as target,
    ):
        for part in source.infolist():
            if part.filename != SHEET:
                target.writestr(part, source.read(part))
                continue
            head, _, tail = source.read(part).decode().partition("</sheetData>")
            head = re.sub(r"<dimension [^>]*/>", "", head)
            with target.open(SHEET, "w", force_zip64=True) as sheet:
                sheet.write(head.encode())
                batch = row * 10_000
                for _ in range(rows // 10_000):
                    sheet.write(batch)
                sheet.write(row * (rows % 10_000))
                sheet.write(f"</sheetData>{tail}".encode())
    return out.getvalue()


def lying_xlsx(declared: int = 1_000) -> bytes:
    """A small XLSX whose sheet's directory entry declares `declared` bytes unpacked, far fewer
    than the sheet really holds."""
    book = openpyxl.Workbook()
    for n in range(2_000):
        book.active.append([f"行{n}", n])
    buffer = io.BytesIO()
    book.save(buffer)
    data = bytearray(buffer.getvalue())
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as archive:
        real = archive.getinfo(SHEET).file_size
    # The size field of the central directory entry (and the local header) of the sheet.
    for signature, offset in ((b"PK\x01\x02", 24), (b"PK\x03\x04", 22)):
        start = 0
        while (start := data.find(signature, start)) != -1:
            name_at = start + (46 if signature == b"PK\x01\x02" else 30)
            if data[name_at : name_at + len(SHEET)] == SHEET.encode():
                assert int.from_bytes(data[start + offset : start + offset + 4], "little") == real
                data[start + offset : start + offset + 4] = declared.to_bytes(4, "little")
            start += 4
    return bytes(data)


def sheet_data_xlsx(sheet_data: str) -> bytes:
    """A one-sheet XLSX whose <sheetData> holds `sheet_data` (XML), with no <dimension>."""
    book = openpyxl.Workbook()
    book.active.append(["列"])
    template = io.BytesIO()
    book.save(template)
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(template.getvalue())) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for part in source.infolist():
            if part.filename != SHEET:
                target.writestr(part, source.read(part))
                continue
            head, _, tail = source.read(part).decode().partition("<sheetData>")
            head = re.sub(r"<dimension [^>]*/>", "", head)
            _, _, tail = tail.partition("</sheetData>")
            target.writestr(SHEET, f"{head}<sheetData>{sheet_data}</sheetData>{tail}")
    return out.getvalue()


def wide_row_xlsx(cells: int = 200_000) -> bytes:
    """An XLSX whose first row holds `cells` cells of random numbers: packed about as tightly as
    real data (so the archive checks pass it), and one row that openpyxl would build whole."""
    numbers = random.Random(14)
    return sheet_data_xlsx(f"<row>{''.join(f'<c><v>{numbers.randrange(10**9)}</v></c>' for _ in range(cells))}</row>")


def renamed_workbook_xlsx(names: int = 200_000) -> bytes:
    """An XLSX whose workbook part, renamed xl/book.bin (the manifest and relations say so, as
    openpyxl reads them), holds `names` defined names: read whole into objects."""
    book = openpyxl.Workbook()
    book.active.append(["列"])
    template = io.BytesIO()
    book.save(template)
    defined = "".join(f'<definedName name="n{n}">Sheet!$A${n % 1000 + 1}</definedName>' for n in range(names))
    out = io.BytesIO()
    renamed = {"xl/workbook.xml": "xl/book.bin", "xl/_rels/workbook.xml.rels": "xl/_rels/book.bin.rels"}
    with (
        zipfile.ZipFile(io.BytesIO(template.getvalue())) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for part in source.infolist():
            data = source.read(part).decode()
            if part.filename == "xl/workbook.xml":
                data = re.sub(r"<definedNames>.*?</definedNames>|<definedNames/>", "", data)
                data = data.replace("</sheets>", f"</sheets><definedNames>{defined}</definedNames>")
            data = data.replace("/xl/workbook.xml", "/xl/book.bin").replace(
                'Target="xl/workbook.xml"', 'Target="xl/book.bin"'
            )
            target.writestr(renamed.get(part.filename, part.filename), data)
    return out.getvalue()


def bloated_styles_xlsx(formats: int = 150_000) -> bytes:
    """A one-cell XLSX whose styles part holds `formats` cell formats, varied so that it packs as
    real XML does: openpyxl reads the styles whole, into an object each."""
    book = openpyxl.Workbook()
    book.active.append(["列"])
    template = io.BytesIO()
    book.save(template)
    out = io.BytesIO()
    numbers = random.Random(14)
    xfs = "".join(
        f'<xf numFmtId="{numbers.randrange(200)}" fontId="0" fillId="0" borderId="0" xfId="0"/>' for _ in range(formats)
    )
    with (
        zipfile.ZipFile(io.BytesIO(template.getvalue())) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for part in source.infolist():
            data = source.read(part)
            if part.filename == "xl/styles.xml":
                data = re.sub(rb'<cellXfs count="\d+">', f'<cellXfs count="{formats + 1}">{xfs}'.encode(), data)
            target.writestr(part, data)
    return out.getvalue()
