"""What a person reads: tables, the evaluative gap, the diagnosis, the report and its figures."""
