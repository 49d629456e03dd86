"""xiaoguan (销管): self-hosted sales management."""
