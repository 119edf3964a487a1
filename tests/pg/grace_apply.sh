#!/bin/bash
# `rm x.yaml` then at once `echo apply > migrations/control`: the removal
# reaches the store before the unlink returns, so the apply, which reads
# the registry from the store, never creates x (issue 11).
. "$(dirname "$0")/../lib.sh"
need_fuse
need_pg
seed_dir
mount_cmd "$MNT" "$BIN" --db "$SCHEMAFS_DB" -f "$MNT"
echo apply >"$MNT/migrations/control" || { cat "$MNT/migrations/status"; die "first apply"; }
cat >"$MNT/schemas/grace1.yaml" <<'Y'
name: grace1
owner: grace-team
version: 1.0.0
columns:
  - name: id
    type: UUID
    primary_key: true
Y
rm "$MNT/schemas/grace1.yaml"
echo apply >"$MNT/migrations/control" || cat "$MNT/migrations/status"
check_eq "the removed schema's table was not created" 0 \
	"$(q "SELECT count(*) FROM pg_tables WHERE tablename = 'grace1'")"
unmount_fs
