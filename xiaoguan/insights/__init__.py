"""Read-only analytics over the business records: authenticity of activity records, the three-layer verification report."""
