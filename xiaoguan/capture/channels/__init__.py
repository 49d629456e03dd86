"""The callback channels: WeCom (企业微信) and DingTalk (钉钉). Each verifies, decrypts, and hands the message to capture_lead."""
