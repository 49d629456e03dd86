"""Lead capture: every channel (web form, API, WeCom, DingTalk, call logs, spreadsheets) becomes the same lead, deduplicated."""
