"""Process supervision behind `opsctl run`: overlap lock, supervisor, alert rules,
schedule lateness and the run log. Ledger-independent; import the submodules."""
