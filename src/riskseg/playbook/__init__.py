"""The playbook: rules, hard constraints, actions and their measured impact."""
