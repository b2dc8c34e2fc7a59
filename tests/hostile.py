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

    def sheet(xml):
        head, _, tail = xml.decode().partition("<sheetData>")
        _, _, tail = tail.partition("</sheetData>")
        return f"{re.sub(r'<dimension [^>]*/>', '', head)}<sheetData>{sheet_data}</sheetData>{tail}".encode()

    return changed_parts(one_cell_xlsx(), {SHEET: sheet})


def wide_row_xlsx(cells: int = 200_000) -> bytes:
    """An XLSX whose first row holds `cells` cells of random numbers: packed about as tightly as
    real data (so the archive checks pass it), and one row that openpyxl would build whole."""
    numbers = random.Random(14)
    return sheet_data_xlsx(f"<row>{''.join(f'<c><v>{numbers.randrange(10**9)}</v></c>' for _ in range(cells))}</row>")


def renamed_workbook_xlsx(names: int = 200_000) -> bytes:
    """An XLSX whose workbook part, renamed xl/book.bin (the manifest and relations say so, as
    openpyxl reads them), holds `names` defined names: read whole into objects."""
    defined = "".join(f'<definedName name="n{n}">Sheet!$A${n % 1000 + 1}</definedName>' for n in range(names))

    def renamed(content):
        text = content.decode().replace("/xl/workbook.xml", "/xl/book.bin")
        return text.replace('Target="xl/workbook.xml"', 'Target="xl/book.bin"').encode()

    def workbook(content):
        text = re.sub(r"<definedNames>.*?</definedNames>|<definedNames/>", "", content.decode())
        return text.replace("</sheets>", f"</sheets><definedNames>{defined}</definedNames>")

    with zipfile.ZipFile(io.BytesIO(one_cell_xlsx())) as source:
        moved = {
            "xl/book.bin": workbook(source.read("xl/workbook.xml")),
            "xl/_rels/book.bin.rels": source.read("xl/_rels/workbook.xml.rels").decode(),
        }
    gone = {"xl/workbook.xml": None, "xl/_rels/workbook.xml.rels": None}
    return changed_parts(one_cell_xlsx(), {**gone, "[Content_Types].xml": renamed, "_rels/.rels": renamed}, moved)


def bloated_styles_xlsx(formats: int = 150_000, *, dense: bool = False) -> bytes:
    """A one-cell XLSX whose styles part holds `formats` cell formats, varied so that it packs as
    real XML does (`dense`: as short as a format can be written): openpyxl reads the styles
    whole, into an object each."""
    numbers = random.Random(14)
    written = '<xf numFmtId="{}"/>' if dense else '<xf numFmtId="{}" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    xfs = "".join(written.format(numbers.randrange(200)) for _ in range(formats))

    def styles(content):
        return re.sub(rb'<cellXfs count="\d+">', f'<cellXfs count="{formats + 1}">{xfs}'.encode(), content)

    return changed_parts(one_cell_xlsx(), {"xl/styles.xml": styles})


def changed_parts(data: bytes, change: dict | None = None, add: dict | None = None) -> bytes:
    """The XLSX `data` with parts changed ({name: bytes -> bytes, or None to drop it}) and added
    ({name: text})."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for part in source.infolist():
            changing = (change or {}).get(part.filename, lambda same: same)
            if changing is not None:  # None drops the part
                target.writestr(part.filename, changing(source.read(part)))
        for name, text in (add or {}).items():
            target.writestr(name, text)
    return out.getvalue()


RELATIONSHIPS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


def one_cell_xlsx() -> bytes:
    book = openpyxl.Workbook()
    book.active.append(["列"])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _workbook(add_to_workbook: str, relationship: str):
    """Changes of the workbook part and its relations: `add_to_workbook` after <sheets>, or into
    it when it is a <sheet>, and `relationship` (rId9) added."""

    def workbook(content):
        text = content.decode().replace("<workbook ", f'<workbook xmlns:r="{RELATIONSHIPS}" ', 1)
        if add_to_workbook.startswith("<sheet "):
            return text.replace("</sheets>", f"{add_to_workbook}</sheets>").encode()
        return text.replace("</sheets>", f"</sheets>{add_to_workbook}").encode()

    def relations(content):
        return content.replace(b"</Relationships>", f"{relationship}</Relationships>".encode())

    return {"xl/workbook.xml": workbook, "xl/_rels/workbook.xml.rels": relations}


def external_links_xlsx(references: int = 100, rows: int = 20_000) -> bytes:
    """An XLSX referring `references` times to one external link part of `rows` cached rows:
    openpyxl keeps links by default, reading the part once per reference."""
    cached = "".join(f'<row r="{n}"><cell r="A{n}"><v>{n}</v></cell></row>' for n in range(1, rows + 1))
    link = (
        '<externalLink xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        f'<externalBook xmlns:r="{RELATIONSHIPS}" r:id="rId1"><sheetNames><sheetName val="S"/></sheetNames>'
        f'<sheetDataSet><sheetData sheetId="0">{cached}</sheetData></sheetDataSet></externalBook></externalLink>'
    )
    link_relations = (
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        f'<Relationship Id="rId1" Type="{RELATIONSHIPS}/externalLinkPath" Target="other.xlsx" TargetMode="External"/>'
        "</Relationships>"
    )
    references_xml = "<externalReferences>" + '<externalReference r:id="rId9"/>' * references + "</externalReferences>"
    relationship = (
        f'<Relationship Id="rId9" Type="{RELATIONSHIPS}/externalLink" Target="externalLinks/externalLink1.xml"/>'
    )
    return changed_parts(
        one_cell_xlsx(),
        _workbook(references_xml, relationship),
        {"xl/externalLinks/externalLink1.xml": link, "xl/externalLinks/_rels/externalLink1.xml.rels": link_relations},
    )


def chartsheets_xlsx(count: int, active: int = 0) -> bytes:
    """An XLSX whose workbook lists `count` chartsheets after its data sheet, all one part, with
    the sheet of index `active` shown on opening."""
    chartsheet = (
        f'<chartsheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="{RELATIONSHIPS}"/>'
    )
    sheets = "".join(f'<sheet name="图{n}" sheetId="{n + 2}" r:id="rId9"/>' for n in range(count))
    relationship = f'<Relationship Id="rId9" Type="{RELATIONSHIPS}/chartsheet" Target="chartsheets/sheet1.xml"/>'
    change = _workbook(sheets, relationship)
    if active:
        shown = change["xl/workbook.xml"]
        change["xl/workbook.xml"] = lambda content: re.sub(
            rb'activeTab="\d+"', f'activeTab="{active}"'.encode(), shown(content)
        )
    return changed_parts(one_cell_xlsx(), change, {"xl/chartsheets/sheet1.xml": chartsheet})


def shared_strings_xlsx(strings_xml: str) -> bytes:
    """An XLSX whose first cell is shared string 0, of a table holding `strings_xml` (<si>s)."""
    content_type = (
        '<Override PartName="/xl/sharedStrings.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
    )
    table = f'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">{strings_xml}</sst>'
    return changed_parts(
        sheet_data_xlsx('<row r="1"><c r="A1" t="s"><v>0</v></c></row>'),
        {"[Content_Types].xml": lambda content: content.replace(b"</Types>", f"{content_type}</Types>".encode())},
        {"xl/sharedStrings.xml": table},
    )


def sheet_xml_xlsx(change) -> bytes:
    """A one-cell XLSX whose sheet's XML is `change(xml text)`."""
    return changed_parts(one_cell_xlsx(), {SHEET: lambda content: change(content.decode()).encode()})
