"""The first upload handler of every request: a body larger than any form accepts is refused
from its Content-Length, before a byte of it is read into memory or a temporary file."""

from django.core.exceptions import RequestDataTooBig
from django.core.files.uploadhandler import FileUploadHandler

# The largest import is 20 MB (xiangcheng/imex.py) and an attachment 10 MB
# (xiangcheng/validators.py); a service action may carry a few attachments in one form.
MAX_REQUEST_BYTES = 50 * 1024 * 1024


class RequestSizeLimit(FileUploadHandler):
    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):
        if content_length > MAX_REQUEST_BYTES:
            raise RequestDataTooBig(f"上传的内容超过 {MAX_REQUEST_BYTES // (1024 * 1024)} MB，请拆分或压缩后重新上传。")

    def receive_data_chunk(self, raw_data, start):
        return raw_data

    def file_complete(self, file_size):
        return None
