"""What the skill says, as validated data: the recovery plan, the check-in questions and the
strings catalogue, each beside its YAML files."""
