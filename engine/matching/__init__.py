"""政策找企业: matching the whole register against the pack, keeping every decision with its receipt, and pushing
to each applicant, once, what changed for it (benefits opened, closed, changed in amount, near misses, missing
facts with money at stake). Sits above evaluation, scenarios and the register; below the web and the CLI."""
