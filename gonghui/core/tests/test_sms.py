import json

import pytest
from django.core.exceptions import ImproperlyConfigured

from gonghui.core import sms


def test_file_backend_appends_one_line_per_message(settings, tmp_path):
    # given the file backend writing to a file that already holds a message
    path = tmp_path / "sms.jsonl"
    path.write_text('{"earlier": true}\n', encoding="utf-8")
    settings.GONGHUI_SMS_BACKEND = "gonghui.core.sms.FileBackend"
    settings.GONGHUI_SMS_FILE = str(path)
    settings.GONGHUI_SMS_SIGNATURE = "网上工会"
    # when two messages are sent
    sms.send_sms("13800001234", "第一条")
    sms.send_sms("13900005678", "第二条")
    # then each is one more line: the number masked, the text as the gateway gets it
    lines = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert lines[0] == {"earlier": True}
    assert [(line["to"], line["text"]) for line in lines[1:]] == [
        ("138****1234", "【网上工会】第一条"),
        ("139****5678", "【网上工会】第二条"),
    ]


def test_file_backend_without_its_file_says_what_to_set(settings):
    settings.GONGHUI_SMS_BACKEND = "gonghui.core.sms.FileBackend"
    settings.GONGHUI_SMS_FILE = ""
    with pytest.raises(ImproperlyConfigured, match="GONGHUI_SMS_FILE"):
        sms.send_sms("13800001234", "不会发出")
