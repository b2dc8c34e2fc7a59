"""The one way a file leaves the portal: logged, named in Chinese, typed by its extension.

Every export, report download and statistics file goes through `download()`: it writes the access
log (who, what, how many rows), names the file for the browser (RFC 6266, so Chinese names work
in every browser), streams what comes as an iterator or a file, and answers the export page's
wait (export_progress.js) with the cookie it watches.
"""

import re

from django.http import FileResponse, HttpResponse, StreamingHttpResponse
from django.utils.http import content_disposition_header

from xiangcheng.audit import log_access

CONTENT_TYPES = {
    "csv": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "zip": "application/zip",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}
# The token the export page sends and waits for (export_progress.js); anything else is ignored.
DOWNLOAD_TOKEN = re.compile(r"[a-z0-9]{8,40}")


def download(request, content, *, filename: str, what: str, rows: int):
    """The response handing `content` (bytes, an iterator of bytes, or an open binary file) to
    the user as `filename`, after logging the export of `rows` rows of `what`."""
    from xiangcheng.models import AccessLog

    log_access(user=request.user, action=AccessLog.Action.EXPORT, what=what, rows=rows)
    content_type = CONTENT_TYPES[filename.rsplit(".", 1)[-1]]
    if isinstance(content, bytes):
        response = HttpResponse(content, content_type=content_type)
    elif hasattr(content, "read"):
        response = FileResponse(content, content_type=content_type)
    else:
        response = StreamingHttpResponse(content, content_type=content_type)
        # Reverse proxies (nginx) pass the rows on as they come instead of buffering the file.
        response["X-Accel-Buffering"] = "no"
    response["Content-Disposition"] = content_disposition_header(True, filename)
    token = (
        request.POST.get("download_token", "") if request.method == "POST" else request.GET.get("download_token", "")
    )
    if DOWNLOAD_TOKEN.fullmatch(token):
        response.set_cookie("download_token", token, max_age=60, samesite="Strict", secure=request.is_secure())
    return response
