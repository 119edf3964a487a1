#!/usr/bin/env bash
# A history nobody can change unnoticed: after an apply, one row of the
# target's schemafs_migrations edited by hand (its SQL) is named by check,
# log (text and JSON) and refused by apply unless --force; a row deleted by
# hand is named too.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
need_pg

seed_applied
add_nickname
reimport
run 0 sfs migrate apply
run 0 sfs migrate check
check_lacks "by hand"
run 0 sfs migrate log
check_lacks "tampered"

# 1. the SQL of run 1's row edited
q "UPDATE schemafs_migrations SET sql = sql || ' -- edited' WHERE id = 1"
token=$(q "SELECT run FROM schemafs_migrations WHERE id = 1")
run 1 sfs migrate check
check_has "schemafs_migrations: error: run 1 ($token, row 1 of schemafs_migrations): its recorded SQL no longer matches its checksum: edited by hand"
run 0 sfs migrate log
check_has "tampered: run 1 ($token, row 1 of schemafs_migrations): its recorded SQL no longer matches its checksum"
run 0 sfs migrate log --json
check_json "$WORK/out"
check_has '"intact": false'
check_has "its recorded SQL no longer matches its checksum"
run 1 sfs migrate check --json
check_json "$WORK/out"
check_has "edited by hand"

# apply refuses, and says how to go on
add_column users <<'YAML'
  - name: tamper_probe
    type: TEXT
    nullable: true
YAML
reimport
run 1 sfs migrate apply
check_has "apply: refused:"
check_has "the history of this database was changed by hand"
check_eq "nothing ran" 0 "$(column_count tamper_probe)"
run 0 sfs migrate apply --force
check_eq "--force ran it" 1 "$(column_count tamper_probe)"

# 2. run 2's row deleted
token2=$(q "SELECT run FROM schemafs_migrations WHERE id = 2")
q "DELETE FROM schemafs_migrations WHERE id = 2"
run 1 sfs migrate check
check_has "run 2 ($token2, apply): committed on this target but its row of schemafs_migrations is gone: deleted by hand"
run 0 sfs migrate log
check_has "tampered: run 2 ($token2, apply): committed on this target but its row"

# 3. the step count edited
q "UPDATE schemafs_migrations SET steps = steps + 1 WHERE id = 3"
run 1 sfs migrate check
check_has "recorded as apply of"
