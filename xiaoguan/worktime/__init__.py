"""Business hours: working days (China's public holidays and make-up workdays), per-team hours, business-time arithmetic."""
